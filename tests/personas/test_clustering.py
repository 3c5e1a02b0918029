"""Reduction + HDBSCAN with prediction data, and its edge cases."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from insta_kedro.fusion.people import STYLE_COLUMNS, persona_vectors
from insta_kedro.personas.clustering import (
    NOISE,
    cluster_people,
    cluster_vectors,
    fit_persona_clusterer,
    persona_frame,
    post_level_params,
    stack_vectors,
    too_few_points,
    user_level_params,
)

RNG = np.random.default_rng(0)
CENTRES = np.eye(3, 12) * 10
CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / name).read_text())


def blobs(per_blob: int = 20, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    labels = np.repeat(np.arange(len(CENTRES)), per_blob)
    return CENTRES[labels] + RNG.normal(scale=spread, size=(len(labels), 12)), labels


def params(**hdbscan_options) -> dict:
    options = {"min_cluster_size": 5, "min_samples": 1, "metric": "euclidean"}
    return {
        "normalize": False,
        "reduction": {"method": "pca", "n_components": 4},
        "hdbscan": {**options, **hdbscan_options},
    }


def test_finds_the_blobs_and_assigns_new_points_without_refitting():
    features, truth = blobs()
    clusterer, result = fit_persona_clusterer(features, params())
    assert result.n_clusters == 3 and (result.labels != NOISE).all()
    assert pd.crosstab(truth, result.labels).gt(0).sum(axis=1).eq(1).all()
    assert result.membership.shape == (60, 3)
    assert result.coordinates.shape == (60, 2) and result.reduced.shape == (60, 4)
    assert ((result.probabilities >= 0) & (result.probabilities <= 1)).all()
    new = CENTRES[[2, 0]] + 0.1
    labels, strengths = clusterer.assign(new)
    expected = [result.labels[truth == 2][0], result.labels[truth == 0][0]]
    assert labels.tolist() == expected and (strengths > 0).all()
    far_away = clusterer.assign(np.full((1, 12), 500.0))[0]
    assert far_away.tolist() == [NOISE]


def test_fewer_points_than_min_cluster_size_is_all_noise_with_a_reason():
    features, _ = blobs(per_blob=1)
    clusterer, result = fit_persona_clusterer(features, params(min_cluster_size=5))
    assert clusterer.clusterer is None and "fewer than HDBSCAN needs" in clusterer.skipped
    assert result.labels.tolist() == [NOISE] * 3 and result.probabilities.tolist() == [0.0] * 3
    assert result.coordinates.shape == (3, 2)
    labels, strengths = clusterer.assign(features)
    assert labels.tolist() == [NOISE] * 3 and strengths.tolist() == [0.0] * 3


def test_no_feature_dimensions_is_all_noise():
    clusterer, result = fit_persona_clusterer(np.zeros((30, 0)), params())
    assert clusterer.skipped == "no feature dimensions"
    assert (result.labels == NOISE).all() and result.coordinates.shape == (30, 2)


def test_a_single_blob_is_one_cluster_only_when_allowed():
    one_blob = RNG.normal(size=(40, 12))
    _, strict = fit_persona_clusterer(one_blob, params(min_cluster_size=15))
    clusterer, allowed = fit_persona_clusterer(
        one_blob, params(min_cluster_size=15, allow_single_cluster=True)
    )
    assert strict.n_clusters != 1
    assert allowed.n_clusters == 1 and allowed.membership.shape == (40, 1)
    # hdbscan's approximate_predict knows no cluster when the only one is the root:
    # new points are noise (documented in docs/clustering.md).
    with pytest.warns(UserWarning, match="does not have any defined clusters"):
        assert clusterer.assign(one_blob[:3])[0].tolist() == [NOISE] * 3


def test_everything_noise_when_no_group_reaches_min_cluster_size():
    chain = (2.0 ** np.arange(16))[:, None] * np.eye(1, 12)  # points fall off one by one
    clusterer, result = fit_persona_clusterer(chain, params(min_cluster_size=7))
    assert clusterer.skipped is None and clusterer.clusterer is not None
    assert result.n_clusters == 0 and (result.labels == NOISE).all()
    assert result.membership.shape == (16, 0)
    assert clusterer.assign(RNG.uniform(size=(2, 12)))[0].tolist() == [NOISE, NOISE]


def test_exact_duplicates_get_a_finite_membership_fitted_and_placed():
    # Posts with the same caption (and no photo) have the same vector. Duplicates are at
    # distance 0: hdbscan's λ is infinite there and its membership vectors NaN.
    features, _ = blobs()
    features[:8] = features[0]
    _, result = fit_persona_clusterer(features, {**params(), "max_fit": 40}, seed=1)
    assert result.assigned == 20 and result.n_clusters >= 3
    assert np.isfinite(result.membership).all()
    assert ((result.membership >= 0) & (result.membership <= 1)).all()
    own = result.labels[0]
    duplicates = result.labels[:8] == own
    # a duplicate at the densest point of its cluster: all of its membership is there
    assert duplicates.all() and (result.membership[:8, own] == result.probabilities[:8]).all()
    others = np.delete(np.arange(result.n_clusters), own)
    assert (result.membership[:8][:, others] == 0).all()


def test_reduce_rejects_features_of_another_width():
    clusterer, _ = fit_persona_clusterer(blobs()[0], params())
    with pytest.raises(ValueError, match="width 12"):
        clusterer.reduce(np.zeros((1, 5)))


def test_stack_vectors_marks_missing_wrong_sized_and_non_finite_rows():
    vectors = pd.Series([[1.0, 2.0], None, [1.0], [np.nan, 1.0], np.array([3.0, 4.0])])
    matrix, usable = stack_vectors(vectors)
    assert usable.tolist() == [True, False, False, False, True]
    assert matrix.tolist() == [[1, 2], [0, 0], [0, 0], [0, 0], [3, 4]]


def test_too_few_points_counts_min_samples():
    assert too_few_points(3, {"min_cluster_size": 2, "min_samples": 3})
    assert not too_few_points(4, {"min_cluster_size": 2, "min_samples": 3})
    assert too_few_points(1, {"min_cluster_size": 2, "min_samples": None})


def test_too_few_points_for_a_cluster_other_than_the_root():
    # Without allow_single_cluster HDBSCAN needs a split into two groups of min_cluster_size:
    # 2 or 3 people with min_cluster_size 2 can never form a persona (not "noise").
    assert too_few_points(3, {"min_cluster_size": 2, "min_samples": 1})
    assert not too_few_points(4, {"min_cluster_size": 2, "min_samples": 1})
    single = {"min_cluster_size": 2, "min_samples": 1, "allow_single_cluster": True}
    assert not too_few_points(2, single)
    clusterer, result = fit_persona_clusterer(blobs(per_blob=1)[0], params(min_cluster_size=2))
    assert clusterer.clusterer is None and "fewer than HDBSCAN needs" in clusterer.skipped
    assert result.labels.tolist() == [NOISE] * 3


@pytest.mark.skipif(importlib.util.find_spec("umap") is not None, reason="umap-learn installed")
def test_umap_without_the_package_says_what_to_install():
    settings = params()
    settings["reduction"] = {"method": "umap", "n_components": 2}
    with pytest.raises(ImportError, match="umap-learn"):
        fit_persona_clusterer(blobs()[0], settings)


def test_cluster_vectors_one_row_per_input_row_and_rows_without_a_vector_are_noise():
    features, _ = blobs()
    frame = pd.DataFrame({"post_id": range(len(features)), "feature": list(features)})
    frame.loc[[0, 1], "feature"] = None
    clusters, clusterer = cluster_vectors(frame, "post_id", params(), seed=0)
    assert clusters["post_id"].tolist() == [str(i) for i in range(len(features))]
    assert clusterer.n_clusters == 3 and clusters["cluster"].iloc[2:].ne(NOISE).all()
    missing = clusters.loc[[0, 1]]
    assert missing["cluster"].tolist() == [NOISE] * 2 and missing["probability"].eq(0).all()
    assert missing["outlier_score"].eq(1).all() and missing[["x", "y"]].isna().all().all()
    assert missing["membership"].map(lambda m: m.tolist() == [0.0] * 3).all()
    assert clusters["membership"].map(lambda m: m.dtype == np.float32).all()


def test_people_are_clustered_by_their_persona_feature():
    features, _ = blobs()
    users = pd.DataFrame(
        {
            "profile": [f"p{i}" for i in range(len(features))],
            "feature": [np.zeros(2)] * len(features),
            "persona_feature": list(features),
        }
    )
    assert persona_frame(users)["feature"].equals(users["persona_feature"])
    without = users.drop(columns="persona_feature")
    assert persona_frame(without) is without
    clusters, clusterer = cluster_people(users, params(), seed=0)
    assert list(clusters.columns) == ["profile", "cluster", "probability", "x", "y", "membership"]
    assert clusterer.dims == 12 and clusterer.n_clusters == 3


def people_of_four_kinds(people: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Persona vectors of ``people`` of 4 kinds, each person their kind's vector plus chance."""
    rng = np.random.default_rng(0)
    kinds = rng.integers(0, 4, people)
    vectors = np.eye(4, 24)[kinds] + rng.normal(scale=0.02, size=(people, 24))
    users = pd.DataFrame(
        {
            "profile": [f"p{i}" for i in range(people)],
            "feature": [np.zeros(2)] * people,
            "persona_feature": list(vectors.astype(np.float32)),
        }
    )
    return users, kinds


def shipped_personas(users: pd.DataFrame, **hdbscan_options) -> np.ndarray:
    """The persona of each person at conf/base's user settings (with ``hdbscan_options``)."""
    settings = conf("parameters_clustering.yml")["clustering"]
    level = settings["users"]
    level = {**level, "hdbscan": {**level["hdbscan"], **hdbscan_options}}
    level = user_level_params({"users": level}, len(users))
    return cluster_people(users, level, seed=settings["seed"])[0]["cluster"].to_numpy()


@pytest.mark.parametrize("people", [200, 800, 1000])
def test_people_of_a_kind_who_differ_by_chance_are_one_persona(people):
    users, kinds = people_of_four_kinds(people)
    personas = shipped_personas(users)
    assert adjusted_rand_score(kinds, personas) == 1.0 and NOISE not in personas


def test_without_a_selection_epsilon_leaf_cuts_kinds_into_chance_groups():
    users, kinds = people_of_four_kinds(1000)
    personas = shipped_personas(users, cluster_selection_epsilon=0.0)
    assert len(set(personas) - {NOISE}) > 4 and NOISE in personas


def people_with_their_kind_in_a_quarter_of_their_posts(
    people: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """People of 8 kinds, 20 posts each: a post is of the person's kind with probability 1/4,
    else of a kind drawn at random. ``user_features``-like rows (interest shares, random
    posting style and topic mix, ``persona_feature`` from the shipped fusion settings except
    ``interest_sharpening``, left to the caller) and each person's kind."""
    rng = np.random.default_rng(0)
    kinds = rng.integers(0, 8, people)
    on_kind = rng.random((people, 20)) < 0.25
    themes = np.where(on_kind, kinds[:, None], rng.integers(0, 8, (people, 20)))
    counts = np.stack([np.bincount(row, minlength=8) for row in themes])
    users = pd.DataFrame(counts / 20, columns=[f"interest_{kind}" for kind in range(8)])
    for column in STYLE_COLUMNS:
        users[column] = rng.random(people)
    users["profile"] = [f"p{i}" for i in range(people)]
    users["feature"] = [np.zeros(2)] * people
    return users, kinds


def persona_features(users: pd.DataFrame, sharpening: float) -> pd.DataFrame:
    person = conf("parameters_fusion.yml")["fusion"]["person"]
    topics = np.random.default_rng(1).random((len(users), 16))
    vectors = persona_vectors(users, topics, person["persona_weights"], sharpening)
    return users.assign(persona_feature=list(vectors))


@pytest.mark.parametrize("people", [300, 1000])
def test_people_whose_kind_is_a_quarter_of_their_posts_gather_by_kind(people):
    users, kinds = people_with_their_kind_in_a_quarter_of_their_posts(people)
    shipped = conf("parameters_fusion.yml")["fusion"]["person"]["interest_sharpening"]
    personas = shipped_personas(persona_features(users, shipped))
    assert adjusted_rand_score(kinds, personas) > 0.6 and np.mean(personas == NOISE) < 0.1
    # sharpened less, a person's chance posts weigh more and a quarter of them become noise
    personas = shipped_personas(persona_features(users, 3))
    assert adjusted_rand_score(kinds, personas) < 0.55 and np.mean(personas == NOISE) > 0.2


def test_user_min_cluster_size_auto_grows_with_the_number_of_people():
    users = params(min_cluster_size="auto")
    resolved = {n: user_level_params({"users": users}, n)["hdbscan"] for n in (0, 16, 100)}
    assert {n: h["min_cluster_size"] for n, h in resolved.items()} == {0: 2, 16: 2, 100: 5}
    assert resolved[100]["min_samples"] == 1 and users["hdbscan"]["min_cluster_size"] == "auto"
    fixed = params(min_cluster_size=7)
    assert user_level_params({"users": fixed}, 100) is fixed


def test_post_auto_settings_grow_with_the_posts_fitted_on():
    posts = {**params(min_cluster_size="auto", min_samples="auto"), "max_fit": 50_000}
    resolved = {
        n: post_level_params({"posts": posts}, n)["hdbscan"]
        for n in (0, 384, 3_000, 20_000, 50_000, 1_000_000)
    }
    sizes = {n: (h["min_cluster_size"], h["min_samples"]) for n, h in resolved.items()}
    # Up to 1,500 posts (the demo has 384) the fixed 15 / 1 of earlier versions; above, 1 %
    # of the posts fitted on, which max_fit caps, and a fortieth of that.
    assert sizes == {
        0: (15, 1),
        384: (15, 1),
        3_000: (30, 1),
        20_000: (200, 5),
        50_000: (500, 12),
        1_000_000: (500, 12),
    }
    assert posts["hdbscan"]["min_cluster_size"] == "auto"  # the settings are not changed
    unbounded = {**posts, "max_fit": None}
    assert post_level_params({"posts": unbounded}, 100_000)["hdbscan"]["min_cluster_size"] == 1000


def test_post_settings_that_are_not_auto_are_kept():
    fixed = {**params(min_cluster_size=400, min_samples="auto"), "max_fit": 50_000}
    assert post_level_params({"posts": fixed}, 100_000)["hdbscan"]["min_samples"] == 10
    explicit = {**params(min_cluster_size=40, min_samples=None), "max_fit": 50_000}
    hdbscan = post_level_params({"posts": explicit}, 100_000)["hdbscan"]
    assert hdbscan["min_cluster_size"] == 40 and hdbscan["min_samples"] is None


def test_stack_vectors_counts_a_post_without_a_row_as_missing():
    # what Series.map gives a post that the table of vectors lacks: NaN, not None
    vectors = pd.Series(["a", "b"]).map(pd.Series({"a": np.array([1.0, 2.0])}))
    matrix, usable = stack_vectors(vectors)
    assert usable.tolist() == [True, False]
    assert matrix.tolist() == [[1, 2], [0, 0]]
