"""Above ``max_fit`` points: the fit on a seeded sample, the other points assigned by
prediction in chunks on the engine (local or a Dask LocalCluster); at or below it, the fit of
every point exactly as before ``max_fit`` existed."""

import hdbscan
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from insta_kedro.engine import Engine, close_clients
from insta_kedro.fusion import l2_normalize
from insta_kedro.personas.clustering import (
    NOISE,
    fit_persona_clusterer,
    fit_sample,
    hdbscan_options,
    predict_points,
)

N_BLOBS, N_POINTS, DIMS, MAX_FIT = 4, 3000, 10, 500
RESULT_ARRAYS = ("labels", "probabilities", "outlier_scores", "membership", "coordinates")


def blobs(n_points: int = N_POINTS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_points`` of 4 well-separated Gaussian blobs in 10 dimensions, and their blob."""
    rng = np.random.default_rng(seed)
    centres = np.eye(N_BLOBS, DIMS) * 12
    truth = rng.integers(0, N_BLOBS, n_points)
    return centres[truth] + rng.normal(size=(n_points, DIMS)), truth


def params(max_fit: int | None = MAX_FIT, normalize: bool = False) -> dict:
    settings = {
        "normalize": normalize,
        "reduction": {"method": "pca", "n_components": 4},
        "hdbscan": {"min_cluster_size": 15, "min_samples": 1, "metric": "euclidean"},
    }
    return settings if max_fit is None else {**settings, "max_fit": max_fit}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return blobs()


@pytest.fixture(scope="module")
def local(data):
    return fit_persona_clusterer(data[0], params(), seed=3)


def test_fitted_on_a_sample_and_the_rest_assigned_agree_with_the_blobs(data, local):
    features, truth = data
    clusterer, result = local
    assert result.fitted_on == clusterer.fitted_on == MAX_FIT
    assert result.assigned == clusterer.assigned == N_POINTS - MAX_FIT
    assert len(clusterer.clusterer.labels_) == MAX_FIT
    # Every point has a label, a probability, an outlier score and a membership row.
    assert result.labels.shape == (N_POINTS,) and result.n_clusters == N_BLOBS
    assert result.membership.shape == (N_POINTS, N_BLOBS)
    for values in (result.probabilities, result.outlier_scores, result.membership):
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    assert result.coordinates.shape == (N_POINTS, 2) and result.reduced.shape == (N_POINTS, 4)
    # The blobs are found: ARI over every point, noise counted as one more label (the strict
    # reading of validation.agreement), and hardly any noise.
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    assert np.mean(result.labels == NOISE) < 0.02
    # The assigned points on their own agree with the blobs too, and their membership
    # vectors mostly favour their own cluster.
    sample = fit_sample(N_POINTS, params(), seed=3)
    rest = np.setdiff1d(np.arange(N_POINTS), sample)
    assert adjusted_rand_score(truth[rest], result.labels[rest]) >= 0.9
    clustered = rest[result.labels[rest] != NOISE]
    favoured = result.membership[clustered].argmax(axis=1) == result.labels[clustered]
    assert favoured.mean() > 0.9
    # The sampled points keep what HDBSCAN gave them when it was fitted on them.
    assert np.array_equal(result.labels[sample], clusterer.clusterer.labels_)


def test_the_sample_is_seeded_sorted_and_not_smaller_than_hdbscan_needs():
    sample = fit_sample(N_POINTS, params(), seed=3)
    assert len(sample) == MAX_FIT and len(np.unique(sample)) == MAX_FIT
    assert np.array_equal(sample, np.sort(sample))
    assert np.array_equal(sample, fit_sample(N_POINTS, params(), seed=3))
    assert not np.array_equal(sample, fit_sample(N_POINTS, params(), seed=4))
    assert fit_sample(MAX_FIT, params(), seed=3) is None
    assert fit_sample(N_POINTS, params(max_fit=None), seed=3) is None
    # HDBSCAN with min_cluster_size 15 needs 30 points to find a cluster.
    assert len(fit_sample(N_POINTS, params(max_fit=2), seed=3)) == 30


def test_the_chunk_size_does_not_change_the_assignment(data, local):
    _, result = local
    _, chunks_of_97 = fit_persona_clusterer(data[0], params(), 3, Engine(chunk_size=97))
    for name in RESULT_ARRAYS:
        assert np.array_equal(getattr(chunks_of_97, name), getattr(result, name)), name


def test_on_a_dask_local_cluster_the_assignment_equals_the_local_one(data, local, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    _, result = local
    try:
        clusterer, on_dask = fit_persona_clusterer(
            data[0], params(), seed=3, engine=Engine("dask", chunk_size=700)
        )
    finally:
        close_clients()
    assert (on_dask.fitted_on, on_dask.assigned) == (MAX_FIT, N_POINTS - MAX_FIT)
    assert clusterer.assigned == N_POINTS - MAX_FIT
    for name in RESULT_ARRAYS:
        assert np.array_equal(getattr(on_dask, name), getattr(result, name)), name


def fit_as_before_max_fit(features: np.ndarray, settings: dict, seed: int) -> dict:
    """What ``fit_persona_clusterer`` computed for every point before ``max_fit`` existed:
    normalization, PCA, the 2-D map and HDBSCAN fitted on every point."""
    scaled = l2_normalize(features) if settings["normalize"] else features
    reduction = settings["reduction"]["n_components"]
    reduced = np.asarray(
        PCA(n_components=reduction, random_state=seed).fit(scaled).transform(scaled),
        dtype=np.float32,
    )
    mapped = PCA(n_components=2, random_state=seed).fit(reduced).transform(reduced)
    model = hdbscan.HDBSCAN(**hdbscan_options(settings["hdbscan"])).fit(reduced.astype(np.float64))
    return {
        "labels": np.asarray(model.labels_, dtype=int),
        "probabilities": np.nan_to_num(np.asarray(model.probabilities_, dtype=float)),
        "outlier_scores": np.nan_to_num(np.asarray(model.outlier_scores_, dtype=float)),
        "membership": np.asarray(hdbscan.all_points_membership_vectors(model), dtype=float),
        "coordinates": mapped.astype(np.float32),
        "reduced": reduced,
    }


@pytest.mark.parametrize("normalize", [False, True])
def test_at_or_below_max_fit_every_point_is_fitted_exactly_as_before(normalize):
    features, _ = blobs(n_points=400, seed=5)
    before = fit_as_before_max_fit(features, params(normalize=normalize), seed=7)
    assert len(set(before["labels"].tolist()) - {NOISE}) == N_BLOBS
    for max_fit in (None, 400, 10_000):
        clusterer, result = fit_persona_clusterer(
            features, params(max_fit, normalize=normalize), seed=7
        )
        assert (result.fitted_on, result.assigned) == (400, 0) and clusterer.assigned == 0
        for name, expected in before.items():
            assert np.array_equal(getattr(result, name), expected), (max_fit, name)


def test_predict_points_of_a_model_without_clusters_are_noise():
    chain = (2.0 ** np.arange(16))[:, None] * np.eye(1, 3)  # points fall off one by one
    model = hdbscan.HDBSCAN(min_cluster_size=7, min_samples=1, prediction_data=True).fit(chain)
    assert model.labels_.max() == NOISE
    labels, strengths, outlier_scores, membership = predict_points(chain[:3] + 0.1, model)
    assert labels.tolist() == [NOISE] * 3 and strengths.tolist() == [0.0] * 3
    assert membership.shape == (3, 0) and np.isfinite(outlier_scores).all()


@pytest.mark.parametrize("max_fit", [MAX_FIT, None], ids=["sampled", "exact"])
def test_without_membership_the_clusters_are_the_same_and_the_vectors_empty(data, max_fit):
    with_vectors = fit_persona_clusterer(data[0], params(max_fit), seed=3)[1]
    without = fit_persona_clusterer(data[0], {**params(max_fit), "membership": False}, seed=3)[1]
    assert with_vectors.membership.shape == (N_POINTS, 4)
    assert without.membership.shape == (N_POINTS, 0)
    np.testing.assert_array_equal(without.labels, with_vectors.labels)
    np.testing.assert_array_equal(without.probabilities, with_vectors.probabilities)
    np.testing.assert_array_equal(without.outlier_scores, with_vectors.outlier_scores)
