"""Persona clustering: dimension reduction, then HDBSCAN with prediction data.

A :class:`PersonaClusterer` is fitted once (``fit_persona_clusterer``) and kept in the
catalog, so new posts or people are assigned later without refitting
(``PersonaClusterer.assign``, HDBSCAN's ``approximate_predict``) and placed on the same 2-D
map (``PersonaClusterer.map_coordinates``).

Steps: features (rows × dims) → optional L2 normalization → PCA (default) or UMAP to
``n_components`` → HDBSCAN (``min_cluster_size``, ``min_samples``, ``metric``,
``cluster_selection_method``, ...) with ``prediction_data=True``. The 2-D map is a PCA of the
reduced space (for PCA reduction: its first two components).

At scale (``max_fit`` in the parameters, posts only): above ``max_fit`` points the reduction,
the map and HDBSCAN are fitted on a seeded random sample of ``max_fit`` points
(:func:`fit_sample`), and the other points are placed in that clustering by HDBSCAN's
prediction (:func:`predict_points`), in chunks on an :class:`insta_kedro.engine.Engine`
(each chunk a task on Dask). At or below ``max_fit`` nothing is sampled. The result and the
clusterer record how many points the model was fitted on (``fitted_on``) and how many were
assigned by prediction (``assigned``).

Edge cases (documented in docs/clustering.md): fewer points than HDBSCAN needs to find a
cluster (``min_points``: 2 × ``min_cluster_size``, or ``min_cluster_size`` with
``allow_single_cluster``, and ``min_samples`` + 1), or no feature dimensions, leave the
clusterer unfitted and every point noise (cluster -1, probability 0) with the reason in
``PersonaClusterer.skipped``; a run where HDBSCAN finds no cluster is "everything noise";
``allow_single_cluster`` lets HDBSCAN return one cluster for one blob.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, assert_never

import hdbscan
import numpy as np
import pandas as pd
from pandas.api.types import is_list_like
from sklearn.decomposition import PCA

from insta_kedro.engine import LOCAL, Engine, bounded_rows, chunked, map_chunks
from insta_kedro.fusion import l2_normalize
from insta_kedro.personas.params import ReductionMethod
from insta_kedro.personas.placement import place_points

logger = logging.getLogger(__name__)

NOISE = -1
HDBSCAN_OPTIONS = (
    "min_cluster_size",
    "min_samples",
    "metric",
    "cluster_selection_method",
    "cluster_selection_epsilon",
    "allow_single_cluster",
)


@dataclass
class ClusteringResult:
    """Per point: cluster (-1 noise), probability, GLOSH outlier score, membership, 2-D map.

    ``fitted_on``: how many of the points HDBSCAN was fitted on (0 when it was not fitted);
    ``assigned``: how many were placed by its prediction instead (0 unless ``max_fit`` was
    exceeded)."""

    labels: np.ndarray
    probabilities: np.ndarray
    outlier_scores: np.ndarray
    membership: np.ndarray
    coordinates: np.ndarray
    reduced: np.ndarray
    fitted_on: int = 0
    assigned: int = 0

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max() + 1) if len(self.labels) else 0


@dataclass
class PersonaClusterer:
    """Fitted reduction + HDBSCAN (``None`` when it could not be fitted; see ``skipped``).

    ``fitted_on``: the points of the fitting data HDBSCAN was fitted on (0 when not fitted);
    ``assigned``: the other points of the fitting data, placed by prediction
    (:func:`predict_points`; 0 unless there were more than ``max_fit``)."""

    dims: int
    normalize: bool
    reducer: Any | None
    mapper: PCA | None
    clusterer: hdbscan.HDBSCAN | None
    reduction: str = "pca"
    skipped: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    assigned: int = 0

    @property
    def n_clusters(self) -> int:
        if self.clusterer is None:
            return 0
        return int(self.clusterer.labels_.max() + 1)

    @property
    def fitted_on(self) -> int:
        return 0 if self.clusterer is None else len(self.clusterer.labels_)

    def reduce(self, features: np.ndarray) -> np.ndarray:
        """Features → the space HDBSCAN clusters in (rows of a wrong width are zeros)."""
        features = self._checked(features)
        if self.normalize:
            features = l2_normalize(features)
        if self.reducer is None:
            return features.astype(np.float32)
        return np.asarray(self.reducer.transform(features), dtype=np.float32)

    def map_coordinates(self, reduced: np.ndarray) -> np.ndarray:
        """Reduced points → 2-D map coordinates (zeros when there is no map)."""
        coordinates = np.zeros((len(reduced), 2), dtype=np.float32)
        if self.mapper is not None and len(reduced):
            mapped = self.mapper.transform(reduced)
            coordinates[:, : mapped.shape[1]] = mapped
        return coordinates

    def assign(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cluster and probability of new points with ``approximate_predict`` (no refit).

        Without a fitted clusterer every point is noise with probability 0.
        """
        n_rows = len(features)
        if self.clusterer is None or n_rows == 0 or self.n_clusters == 0:
            return np.full(n_rows, NOISE, dtype=int), np.zeros(n_rows)
        labels, strengths = hdbscan.approximate_predict(self.clusterer, self.reduce(features))
        return np.asarray(labels, dtype=int), np.asarray(strengths, dtype=float)

    def _checked(self, features: np.ndarray) -> np.ndarray:
        features = np.nan_to_num(np.asarray(features, dtype=np.float64))
        if features.ndim != 2 or features.shape[1] != self.dims:
            raise ValueError(f"expected features of width {self.dims}, got {features.shape}")
        return features


STACK_BLOCK = 65_536
"""Vectors stacked into the matrix at a time."""


def stack_vectors(vectors: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, usable mask) from a column of vectors (a Series or a 1-d object array);
    missing (None, NaN) or odd-sized rows are unusable.

    The width is the most common non-zero vector length (the smallest of equally common
    ones); unusable rows are zeros.
    """
    values = vectors.to_numpy(dtype=object) if isinstance(vectors, pd.Series) else vectors
    # missing: None, or the NaN that pandas gives a row a lookup did not find
    sizes = np.array([len(v) if is_list_like(v) else 0 for v in values], dtype=np.int64)
    lengths, counts = np.unique(sizes[sizes > 0], return_counts=True)
    width = int(lengths[np.argmax(counts)]) if len(lengths) else 0  # the smallest of ties
    usable = (sizes == width) & (width > 0)
    matrix = np.zeros((len(values), width), dtype=np.float64)
    rows = np.flatnonzero(usable)
    for start in range(0, len(rows), STACK_BLOCK):  # stacked a block at a time: no 2nd copy
        block = rows[start : start + STACK_BLOCK]
        matrix[block] = np.stack(values[block])
    finite = np.isfinite(matrix).all(axis=1)
    matrix[~finite] = 0.0
    return matrix, usable & finite


def hdbscan_options(params: dict[str, Any]) -> dict[str, Any]:
    """HDBSCAN keyword arguments from the parameters (``prediction_data`` always on)."""
    options = {name: params[name] for name in HDBSCAN_OPTIONS if name in params}
    if options.get("min_samples") is None:
        options.pop("min_samples", None)
    return {**options, "prediction_data": True, "gen_min_span_tree": True}


def min_points(params: dict[str, Any]) -> int:
    """The fewest points in which HDBSCAN can find a cluster: min_samples + 1, and
    min_cluster_size with ``allow_single_cluster``, else 2 × min_cluster_size (a cluster other
    than the root needs a split into two groups of min_cluster_size)."""
    min_cluster_size = params["min_cluster_size"]
    min_samples = params.get("min_samples") or min_cluster_size
    clusters = 1 if params.get("allow_single_cluster") else 2
    return max(clusters * min_cluster_size, min_samples + 1, 2)


def too_few_points(n_points: int, params: dict[str, Any]) -> bool:
    """True when HDBSCAN cannot find any cluster in ``n_points`` (see ``min_points``)."""
    return n_points < min_points(params)


def fit_reducer(features: np.ndarray, reduction: dict[str, Any], seed: int) -> Any | None:
    """PCA (or UMAP, when asked) fitted on ``features``; None when no reduction is needed.

    ``reduction``: ``method`` (a :data:`ReductionMethod`, ``pca`` when absent),
    ``n_components`` and UMAP's ``n_neighbors``, ``min_dist`` and ``metric``.
    """
    method: ReductionMethod = reduction.get("method", "pca")
    n_components = int(reduction["n_components"])
    if method == "none":
        return None
    if method == "umap":
        try:
            import umap
        except ImportError as error:
            raise ImportError(
                "clustering reduction.method=umap needs the umap-learn package "
                "(pip install umap-learn), or use reduction.method=pca"
            ) from error
        n_neighbors = min(int(reduction.get("n_neighbors", 15)), len(features) - 1)
        return umap.UMAP(
            n_components=min(n_components, len(features) - 2),
            n_neighbors=max(n_neighbors, 2),
            min_dist=float(reduction.get("min_dist", 0.0)),
            metric=reduction.get("metric", "euclidean"),
            random_state=seed,
        ).fit(features)
    if method == "pca":
        n_components = min(n_components, features.shape[0], features.shape[1])
        return PCA(n_components=n_components, random_state=seed).fit(features)
    assert_never(method)


def fit_mapper(reduced: np.ndarray, seed: int) -> PCA | None:
    """PCA to two dimensions (fewer when the data has fewer) for the 2-D maps."""
    n_components = min(2, reduced.shape[0], reduced.shape[1])
    if n_components < 1:
        return None
    return PCA(n_components=n_components, random_state=seed).fit(reduced)


def fit_sample(n_points: int, params: dict[str, Any], seed: int) -> np.ndarray | None:
    """The rows to fit on when there are more than ``params["max_fit"]`` of ``n_points``: a
    random sample (seeded by ``seed``, sorted) of ``max_fit`` rows, or of :func:`min_points`
    of ``params["hdbscan"]`` when that is more. None (fit on every row) at or below that
    size, or when ``params`` has no ``max_fit`` (or it is None)."""
    max_fit = params.get("max_fit")
    if max_fit is None:
        return None
    size = max(int(max_fit), min_points(params["hdbscan"]))
    return None if n_points <= size else bounded_rows(n_points, size, seed)


def predict_points(
    reduced: np.ndarray, model: hdbscan.HDBSCAN, membership: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points of the reduced space placed in the clustering of the fitted ``model``, without
    refitting.

    Returns their cluster (-1 noise) and strength (``hdbscan.approximate_predict``), their
    GLOSH outlier score in the fitted tree (``hdbscan.approximate_predict_scores``, clipped to
    [0, 1]: a point nearer to a fitted point than any fitted pair of its cluster gets a
    negative raw score, and is no outlier) and their membership vector over the clusters
    (``hdbscan.membership_vector``), all computed at once by
    :func:`insta_kedro.personas.placement.place_points` (the vector all ones with a
    single cluster and no columns without any, as :func:`fit_persona_clusterer` gives the
    fitted points; no columns when ``membership`` is False). When the model's tree holds no
    cluster (nothing but its root), hdbscan cannot place a point: every point is noise with
    strength 0 and outlier score 1.
    """
    points = np.asarray(reduced, dtype=np.float64)
    n_points = len(points)
    n_clusters = int(model.labels_.max() + 1) if membership else 0
    memberships = np.full((n_points, n_clusters), 1.0 if n_clusters == 1 else 0.0)
    if n_points == 0 or model.prediction_data_.cluster_tree.shape[0] == 0:
        return (
            np.full(n_points, NOISE, dtype=int),
            np.zeros(n_points),
            np.ones(n_points),
            memberships,
        )
    # a tree without a selected cluster places every point as noise, strength 0
    labels, strengths, outlier_scores, placed = place_points(
        model, points, membership=n_clusters >= 2
    )
    labels = np.asarray(labels, dtype=int)
    strengths = np.nan_to_num(np.asarray(strengths, dtype=float))
    if n_clusters >= 2:
        memberships = complete_membership(placed, labels, strengths)
    return (
        labels,
        strengths,
        np.clip(np.nan_to_num(np.asarray(outlier_scores, dtype=float)), 0.0, 1.0),
        memberships,
    )


def fitted_points(
    model: hdbscan.HDBSCAN, membership: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cluster (-1 noise), probability, GLOSH outlier score and membership vector (all
    ones with a single cluster, no columns without any, nor when ``membership`` is False) of
    the points ``model`` was fitted on."""
    labels = np.asarray(model.labels_, dtype=int)
    n_points = len(labels)
    n_clusters = int(labels.max() + 1)
    probabilities = np.nan_to_num(np.asarray(model.probabilities_, dtype=float))
    outlier_scores = np.nan_to_num(np.asarray(model.outlier_scores_, dtype=float))
    if n_clusters == 0 or not membership:
        vectors = np.zeros((n_points, 0))
    elif n_clusters == 1:
        # hdbscan's membership vectors sum to 1 over the clusters (and its implementation
        # fails when the only cluster is the root): with one cluster every point is in it.
        vectors = np.ones((n_points, 1))
    else:
        with np.errstate(invalid="ignore"):  # its NaN rows are completed below
            vectors = hdbscan.all_points_membership_vectors(model)
        vectors = np.asarray(vectors, dtype=float).reshape(n_points, n_clusters)
        vectors = complete_membership(vectors, labels, probabilities)
    return labels, probabilities, outlier_scores, vectors


def complete_membership(
    membership: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """``membership`` (points × clusters, hdbscan's soft membership) with the rows hdbscan
    leaves NaN filled in: the point's ``probabilities`` at its own cluster of ``labels``, 0
    elsewhere (all 0 for noise).

    hdbscan's vectors divide by the largest λ (1 / distance) of the point's cluster, which is
    infinite when that cluster holds exact duplicates (posts with the same caption and no
    photo; people alike in every feature): distance 0. The filled-in row is the limit of
    hdbscan's formula there: a point at the cluster's infinite density is all in it, with
    probability 1; one placed beside it has hdbscan's strength λ / ∞ = 0.
    """
    broken = np.isnan(membership).any(axis=1)
    if not broken.any():
        return membership
    membership = membership.copy()
    membership[broken] = 0.0
    rows = np.flatnonzero(broken & (labels >= 0))
    membership[rows, labels[rows]] = probabilities[rows]
    return membership


def fit_persona_clusterer(
    features: np.ndarray, params: dict[str, Any], seed: int = 42, engine: Engine = LOCAL
) -> tuple[PersonaClusterer, ClusteringResult]:
    """Reduce, fit HDBSCAN, and return the fitted clusterer with the result per point.

    ``params``: ``normalize`` (bool), ``reduction`` (method, n_components, UMAP options),
    ``hdbscan`` (HDBSCAN options) and, optionally, ``max_fit``: with more points than that,
    the reduction, the map and HDBSCAN are fitted on the sample of :func:`fit_sample` (seeded
    by ``seed``) and the other points are placed by :func:`predict_points`, in chunks of
    ``engine.chunk_size`` points on ``engine`` (each a task on Dask). ``seed`` also seeds the
    reduction and the map.
    """
    features = np.asarray(features, dtype=np.float64)
    if not np.isfinite(features).all():  # else no copy of the matrix is needed
        features = np.nan_to_num(features)
    n_points, dims = features.shape
    cluster_params = params["hdbscan"]
    clusterer = PersonaClusterer(
        dims=dims,
        normalize=bool(params.get("normalize", False)),
        reducer=None,
        mapper=None,
        clusterer=None,
        reduction=params["reduction"].get("method", "pca"),
        params={"hdbscan": dict(cluster_params), "reduction": dict(params["reduction"])},
    )
    if dims == 0:
        clusterer.skipped = "no feature dimensions"
    elif too_few_points(n_points, cluster_params):
        clusterer.skipped = (
            f"{n_points} points: fewer than HDBSCAN needs to find a cluster "
            f"({min_points(cluster_params)} with "
            f"min_cluster_size={cluster_params['min_cluster_size']}, "
            f"min_samples={cluster_params.get('min_samples')}, "
            f"allow_single_cluster={bool(cluster_params.get('allow_single_cluster'))})"
        )
    if clusterer.skipped:
        logger.warning("clustering skipped, every point is noise: %s.", clusterer.skipped)
        reduced = np.zeros((n_points, 0), dtype=np.float32)
        if dims and n_points:
            scaled = l2_normalize(features) if clusterer.normalize else features
            clusterer.reducer = fit_reducer(scaled, params["reduction"], seed)
            reduced = clusterer.reduce(features)
            clusterer.mapper = fit_mapper(reduced, seed)
        return clusterer, all_noise(n_points, clusterer, reduced)

    sample = fit_sample(n_points, params, seed)
    fitted = features if sample is None else features[sample]
    scaled = l2_normalize(fitted) if clusterer.normalize else fitted
    clusterer.reducer = fit_reducer(scaled, params["reduction"], seed)
    del fitted, scaled
    reduced = clusterer.reduce(features)
    fit_on = reduced if sample is None else reduced[sample]
    clusterer.mapper = fit_mapper(fit_on, seed)
    model = hdbscan.HDBSCAN(**hdbscan_options(cluster_params)).fit(fit_on.astype(np.float64))
    clusterer.clusterer = model
    with_membership = bool(params.get("membership", True))
    labels, probabilities, outlier_scores, membership = fitted_points(model, with_membership)
    if sample is not None:
        labels, probabilities, outlier_scores, membership = _with_predicted(
            reduced,
            sample,
            (labels, probabilities, outlier_scores, membership),
            model,
            engine,
            with_membership,
        )
        clusterer.assigned = n_points - len(sample)
    result = ClusteringResult(
        labels=labels,
        probabilities=probabilities,
        outlier_scores=outlier_scores,
        membership=membership,
        coordinates=clusterer.map_coordinates(reduced),
        reduced=reduced,
        fitted_on=clusterer.fitted_on,
        assigned=clusterer.assigned,
    )
    return clusterer, result


def _with_predicted(
    reduced: np.ndarray,
    sample: np.ndarray,
    fitted: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    model: hdbscan.HDBSCAN,
    engine: Engine,
    membership: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Labels, probabilities, outlier scores and membership of every row of ``reduced``:
    ``fitted`` (of :func:`fitted_points`) at the ``sample`` rows, :func:`predict_points` of
    chunks of ``engine.chunk_size`` other rows, done on ``engine``, at the others."""
    rest = np.ones(len(reduced), dtype=bool)
    rest[sample] = False
    parts = map_chunks(
        predict_points,
        chunked(reduced[rest], engine.chunk_size),
        engine,
        model=model,
        membership=membership,
    )
    merged = []
    for index, values in enumerate(fitted):
        whole = np.empty((len(reduced), *values.shape[1:]), dtype=values.dtype)
        whole[sample] = values
        whole[rest] = np.concatenate([part[index] for part in parts]).astype(values.dtype)
        merged.append(whole)
    labels, probabilities, outlier_scores, membership = merged
    return labels, probabilities, outlier_scores, membership


def all_noise(n_points: int, clusterer: PersonaClusterer, reduced: np.ndarray) -> ClusteringResult:
    """Every point noise (probability 0, outlier score 1): the result of a skipped fit."""
    return ClusteringResult(
        labels=np.full(n_points, NOISE, dtype=int),
        probabilities=np.zeros(n_points),
        outlier_scores=np.ones(n_points),
        membership=np.zeros((n_points, 0)),
        coordinates=clusterer.map_coordinates(reduced),
        reduced=reduced,
    )


def cluster_vectors(
    frame: pd.DataFrame, key: str, params: dict[str, Any], seed: int, engine: Engine = LOCAL
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """Cluster the ``feature`` vectors of ``frame`` with the level ``params`` (``normalize``,
    ``reduction``, ``hdbscan``, optionally ``max_fit``; see :func:`fit_persona_clusterer`,
    which places the points beyond ``max_fit`` on ``engine``), and log how many points
    HDBSCAN was fitted on and how many were assigned by prediction.

    Returns one row per input row, in ``frame`` order (``key``, ``cluster``, ``probability``,
    ``x``, ``y``, ``outlier_score``, ``membership``), and the fitted clusterer. Rows without a
    usable vector are noise with probability 0, outlier score 1, NaN map coordinates and a
    zero membership vector.
    """
    vectors, usable = stack_vectors(frame["feature"])
    if not usable.all():
        vectors = vectors[usable]
    clusterer, result = fit_persona_clusterer(vectors, params, seed, engine)
    clusters = fitted_clusters(frame, key, usable, clusterer, result, params.get("max_fit"))
    return clusters, clusterer


def fitted_clusters(
    frame: pd.DataFrame,
    key: str,
    usable: np.ndarray,
    clusterer: PersonaClusterer,
    result: ClusteringResult,
    max_fit: int | None = None,
) -> pd.DataFrame:
    """The clusters table of :func:`cluster_vectors` from a fit of the ``usable`` rows of
    ``frame`` (``clusterer`` and its ``result``, the level's ``max_fit``); logs how many
    points HDBSCAN was fitted on, how many were assigned by prediction, and a warning when it
    found no cluster, and one naming the rows without a usable vector (noise)."""
    if (~usable).any():
        logger.warning("%d %s rows have no usable feature vector: noise.", (~usable).sum(), key)
    if clusterer.clusterer is not None and not (result.labels != NOISE).any():
        logger.warning(
            "HDBSCAN found no cluster: every one of %d points is noise.", len(result.labels)
        )
    logger.info(
        "clustering by %s: HDBSCAN fitted on %d points, %d assigned by prediction (max_fit %s)",
        key,
        result.fitted_on,
        result.assigned,
        max_fit,
    )
    n_rows = len(frame)
    labels = np.full(n_rows, NOISE, dtype=int)
    probabilities = np.zeros(n_rows)
    outlier_scores = np.ones(n_rows)
    coordinates = np.full((n_rows, 2), np.nan)
    width = result.membership.shape[1]
    membership = [np.zeros(width, np.float32) for _ in range(n_rows)]
    labels[usable] = result.labels
    probabilities[usable] = result.probabilities
    outlier_scores[usable] = result.outlier_scores
    coordinates[usable] = result.coordinates
    for row, vector in zip(np.flatnonzero(usable), result.membership, strict=True):
        membership[row] = vector.astype(np.float32)
    clusters = pd.DataFrame(
        {
            key: frame[key].astype(str).to_numpy(),
            "cluster": labels,
            "probability": probabilities,
            "x": coordinates[:, 0],
            "y": coordinates[:, 1],
            "outlier_score": outlier_scores,
            "membership": membership,
        }
    )
    return clusters


def persona_frame(user_features: pd.DataFrame) -> pd.DataFrame:
    """``user_features`` with ``feature`` = ``persona_feature`` (interests, topics, posting
    style), the vector people are clustered by; returned unchanged without that column."""
    if "persona_feature" not in user_features:
        return user_features
    return user_features.assign(feature=user_features["persona_feature"])


def user_level_params(params: dict[str, Any], n_people: int) -> dict[str, Any]:
    """The user level of the clustering parameters (``params["users"]``) with
    ``hdbscan.min_cluster_size: auto`` resolved for ``n_people`` to
    ``max(2, round(sqrt(n_people) / 2))``, so a persona grows with the number of people.
    Any other value is returned as it is."""
    users = params["users"]
    size = users["hdbscan"]["min_cluster_size"]
    if size != "auto":
        return users
    size = max(2, round(np.sqrt(max(n_people, 1)) / 2))
    return {**users, "hdbscan": {**users["hdbscan"], "min_cluster_size": size}}


POST_MIN_CLUSTER_SIZE = 15
"""The smallest ``min_cluster_size: auto`` of the posts."""
POST_MIN_CLUSTER_SHARE = 0.01
"""``min_cluster_size: auto`` of the posts: this share of the posts HDBSCAN is fitted on."""
POST_MIN_SAMPLES_RATIO = 40
"""``min_samples: auto`` of the posts: ``min_cluster_size`` divided by this."""


def post_level_params(params: dict[str, Any], n_posts: int) -> dict[str, Any]:
    """The post level of the clustering parameters (``params["posts"]``) with ``auto``
    resolved for the posts HDBSCAN is fitted on (``n_posts``, or ``max_fit`` when there are
    more):

    - ``min_cluster_size: auto``: ``max(15, round(0.01 × fitted posts))``, so a post persona
      is at least one percent of the posts however many there are (15 up to 1,500 posts,
      500 for 50,000);
    - ``min_samples: auto``: ``max(1, min_cluster_size // 40)``: the density HDBSCAN
      estimates is smoothed over a few more neighbours as clusters grow (1 up to a
      ``min_cluster_size`` of 79, 12 for 500), but far fewer than ``min_cluster_size``, which
      would join neighbouring personas.

    Any other value is returned as it is."""
    posts = params["posts"]
    options = dict(posts["hdbscan"])
    max_fit = posts.get("max_fit")
    fitted = n_posts if max_fit is None else min(n_posts, int(max_fit))
    if options["min_cluster_size"] == "auto":
        share = round(POST_MIN_CLUSTER_SHARE * fitted)
        options["min_cluster_size"] = max(POST_MIN_CLUSTER_SIZE, share)
    if options.get("min_samples") == "auto":
        options["min_samples"] = max(1, options["min_cluster_size"] // POST_MIN_SAMPLES_RATIO)
    return {**posts, "hdbscan": options}


def cluster_people(
    user_features: pd.DataFrame, params: dict[str, Any], seed: int
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """Cluster people by their ``persona_feature`` (:func:`persona_frame`) with the user level
    ``params`` (see :func:`user_level_params`).

    Returns one row per profile of ``user_features`` (``profile``, ``cluster``,
    ``probability``, ``x``, ``y``, ``membership``) and the fitted clusterer.
    """
    clusters, clusterer = cluster_vectors(persona_frame(user_features), "profile", params, seed)
    return clusters.drop(columns="outlier_score"), clusterer
