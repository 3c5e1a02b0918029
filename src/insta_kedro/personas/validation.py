"""How good is a clustering: DBCV, silhouette, noise share, stability, agreement with truth.

Every score is ``None`` (with the reason in ``notes``) when it is undefined: DBCV and the
silhouette need two clusters or more, agreement needs ground-truth labels.
The quadratic measures run on bounded samples: DBCV and the silhouette score at most
``max_points`` points, and the stability subsamples are drawn from at most ``max_points``
(:func:`bounded_rows`); the report says under ``sampling`` whether each measure was sampled
and on how many points.
``clustering_report`` scores the post and the user level of the pipeline's clustering, and
``flat_metrics`` turns that report into MLflow metrics.
"""

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hdbscan.validity import validity_index
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

from insta_kedro.engine import bounded_rows
from insta_kedro.personas.clustering import (
    NOISE,
    PersonaClusterer,
    fit_persona_clusterer,
    persona_frame,
    post_level_params,
    stack_vectors,
    user_level_params,
)
from insta_kedro.vision import encoder_report

logger = logging.getLogger(__name__)


def noise_share(labels: np.ndarray) -> float | None:
    """Share of points labelled -1 (None without points)."""
    return float(np.mean(labels == NOISE)) if len(labels) else None


def cluster_count(labels: np.ndarray) -> int:
    return len(set(labels.tolist()) - {NOISE})


def sampling(n_points: int, max_points: int | None) -> dict[str, Any]:
    """How a measure bounded by ``max_points`` saw ``n_points`` points: ``sampled`` (whether
    it ran on a random sample of them) and ``sample_size`` (the points it ran on)."""
    sampled = max_points is not None and n_points > max_points
    return {"sampled": sampled, "sample_size": max_points if sampled else n_points}


def dbcv(
    reduced: np.ndarray,
    labels: np.ndarray,
    metric: str = "euclidean",
    max_points: int = 5000,
    seed: int = 42,
) -> float | None:
    """Density-based clustering validation (``hdbscan.validity``), on at most ``max_points``.

    None with fewer than two clusters, or when hdbscan cannot compute the index or it is not
    finite (e.g. clusters of one distinct point).
    """
    if cluster_count(labels) < 2 or reduced.shape[1] == 0:
        return None
    rows = bounded_rows(len(labels), max_points, seed)
    if len(rows) < len(labels) and cluster_count(labels[rows]) < 2:
        return None
    try:
        score = validity_index(
            reduced[rows].astype(np.float64), labels[rows].astype(np.intp), metric=metric
        )
    except (ValueError, ZeroDivisionError, IndexError, AssertionError) as error:
        # hdbscan asserts on some clusters of many identical points (posts without a caption
        # or an image): a score it cannot compute, not a reason to stop the run.
        logger.warning("DBCV not computable: %s", str(error) or type(error).__name__)
        return None
    return float(score) if np.isfinite(score) else None


def silhouette_without_noise(
    reduced: np.ndarray,
    labels: np.ndarray,
    metric: str = "euclidean",
    max_points: int | None = None,
    seed: int = 42,
) -> float | None:
    """Silhouette of the non-noise points; None with fewer than 2 clusters or too few points.

    Above ``max_points`` points (None: no bound), of the non-noise points among the random
    sample of :func:`bounded_rows` (the rows DBCV scores).
    """
    rows = bounded_rows(len(labels), max_points, seed)
    if len(rows) < len(labels):
        reduced, labels = reduced[rows], labels[rows]
    clustered = labels != NOISE
    n_clusters = cluster_count(labels)
    if n_clusters < 2 or clustered.sum() <= n_clusters or reduced.shape[1] == 0:
        return None
    return float(silhouette_score(reduced[clustered], labels[clustered], metric=metric))


def agreement(labels: np.ndarray, truth: np.ndarray) -> dict[str, float | int] | None:
    """ARI and NMI against ground truth; noise counts as one more label (the strict reading).

    Also ``ari_clustered``: ARI on the non-noise points only. None without truth.
    """
    known = np.array([isinstance(t, str) for t in truth], dtype=bool)
    if not known.any():
        return None
    labels, truth = labels[known], np.asarray(truth[known]).astype(str)
    clustered = labels != NOISE
    return {
        "points": int(known.sum()),
        "ari": float(adjusted_rand_score(truth, labels)),
        "nmi": float(normalized_mutual_info_score(truth, labels)),
        "ari_clustered": float(adjusted_rand_score(truth[clustered], labels[clustered]))
        if clustered.sum() > 1
        else None,
    }


def bootstrap_stability(
    features: np.ndarray,
    labels: np.ndarray,
    refit: Callable[[np.ndarray], np.ndarray | None],
    n_resamples: int = 10,
    fraction: float = 0.8,
    seed: int = 42,
    max_points: int | None = None,
) -> dict[str, Any] | None:
    """Mean ARI between the full fit's labels and refits on random subsamples.

    Each resample draws ``fraction`` (in (0, 1)) of the points without replacement
    (duplicates would create artificial density for HDBSCAN), refits with
    ``refit(features) -> labels`` and compares the labels of the drawn points. Above
    ``max_points`` points (None: no bound) the resamples are drawn from the random sample of
    ``max_points`` points of :func:`bounded_rows` instead of from all, so no refit sees more
    than ``fraction`` × ``max_points``. A refit that returns None (too few points to fit) is
    counted in ``skipped_resamples``, not scored; ``mean_ari`` is None when none was scored,
    and when the full fit found no cluster (``labels`` all noise: refits that find none
    either would agree perfectly on nothing), then without refitting. Returns also
    ``sampled`` and ``sample_size`` (the points the resamples were drawn from). None with
    fewer than 3 points.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the stability fraction must be in (0, 1), got {fraction!r}")
    drawn_from = sampling(len(labels), max_points)
    if drawn_from["sampled"]:
        bounded = bounded_rows(len(labels), max_points, seed)
        features, labels = features[bounded], labels[bounded]
    n_points = len(labels)
    size = int(round(fraction * n_points))
    if n_resamples < 1 or size < 3:
        return None
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_resamples if np.any(labels != NOISE) else 0):
        rows = np.sort(rng.choice(n_points, size, replace=False))
        refitted = refit(features[rows])
        if refitted is not None:
            scores.append(float(adjusted_rand_score(labels[rows], refitted)))
    return {
        "mean_ari": float(np.mean(scores)) if scores else None,
        "std_ari": float(np.std(scores)) if scores else None,
        "resamples": n_resamples,
        "skipped_resamples": n_resamples - len(scores),
        "fraction": fraction,
        **drawn_from,
    }


def clustering_scores(
    reduced: np.ndarray,
    labels: np.ndarray,
    truth: np.ndarray | None = None,
    metric: str = "euclidean",
    max_points: int = 5000,
    seed: int = 42,
) -> dict[str, Any]:
    """Points, clusters, noise share, DBCV, silhouette and (with truth) ARI/NMI.

    DBCV and the silhouette score the same random sample of ``max_points`` points when there
    are more (:func:`bounded_rows`, seeded by ``seed``); ``sampling`` says so for each
    (``{"dbcv": {"sampled", "sample_size"}, "silhouette": {...}}``, :func:`sampling`).
    """
    scores: dict[str, Any] = {
        "points": len(labels),
        "clusters": cluster_count(labels),
        "noise_share": noise_share(labels),
        "dbcv": dbcv(reduced, labels, metric, max_points, seed),
        "silhouette": silhouette_without_noise(reduced, labels, metric, max_points, seed),
    }
    scores["ground_truth"] = agreement(labels, truth) if truth is not None else None
    bounded = sampling(len(labels), max_points)
    scores["sampling"] = {"dbcv": dict(bounded), "silhouette": dict(bounded)}
    return scores


def reduced_vectors(
    frame: pd.DataFrame, clusters: pd.DataFrame, key: str, clusterer: PersonaClusterer
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``feature`` vectors of ``frame`` as ``clusterer`` saw them.

    Returns (the usable raw vectors, their reduced vectors (no columns when nothing is usable
    or the clusterer has no dimensions), their cluster labels from ``clusters`` (noise when
    missing), the usable-row mask of ``frame``), in ``frame`` order.
    """
    vectors, usable = stack_vectors(frame["feature"])
    labels = frame[key].astype(str).map(clusters.set_index(key)["cluster"]).fillna(NOISE)
    labels = labels.to_numpy(dtype=int)[usable]
    if not usable.any() or clusterer.dims == 0:
        return vectors[usable], np.zeros((int(usable.sum()), 0)), labels, usable
    return vectors[usable], clusterer.reduce(vectors[usable]), labels, usable


def validate_level(
    frame: pd.DataFrame,
    clusters: pd.DataFrame,
    key: str,
    clusterer: PersonaClusterer,
    truth: dict[str, str],
    level_params: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Scores of one level (posts or users) of the clustering.

    ``frame`` has ``key`` and ``feature``; ``clusters`` the labels by ``key``; ``truth`` maps a
    ``key`` to its ground-truth label (empty without ground truth); ``level_params`` are the
    level's clustering parameters, ``params`` the clustering parameters (``seed`` and
    ``validation``: ``max_points``, ``stability_resamples``, ``stability_fraction``).
    Returns :func:`clustering_scores` plus ``rows_without_vector``, ``skipped`` (why the
    clusterer was not fitted, or None), ``fitted_on`` and ``assigned`` (the points HDBSCAN
    was fitted on, and those placed by its prediction above ``max_fit``: the clusterer's
    record) and ``stability`` (:func:`bootstrap_stability` of refits with ``level_params``,
    drawn from at most ``validation.max_points`` points; None when the clusterer was not
    fitted), whose sampling is added to ``sampling["stability"]``.
    """
    validation = params["validation"]
    vectors, reduced, labels, usable = reduced_vectors(frame, clusters, key, clusterer)
    usable_keys = frame[key].astype(str)[usable]
    truth_labels = usable_keys.map(truth).to_numpy(dtype=object) if truth else None
    scores = clustering_scores(
        reduced,
        labels,
        truth_labels,
        level_params["hdbscan"].get("metric", "euclidean"),
        validation["max_points"],
        params["seed"],
    )
    scores["rows_without_vector"] = int(len(frame) - len(labels))
    scores["skipped"] = clusterer.skipped
    scores["fitted_on"] = int(clusterer.fitted_on)
    scores["assigned"] = int(clusterer.assigned)
    scores["sampling"]["stability"] = sampling(len(labels), validation["max_points"])
    scores["stability"] = None
    if clusterer.clusterer is not None:

        def refit(sample: np.ndarray) -> np.ndarray | None:
            refitted, result = fit_persona_clusterer(sample, level_params, params["seed"])
            return None if refitted.skipped else result.labels

        scores["stability"] = bootstrap_stability(
            vectors,
            labels,
            refit,
            validation["stability_resamples"],
            validation["stability_fraction"],
            params["seed"],
            validation["max_points"],
        )
    return scores


def flat_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """MLflow metrics of a :func:`clustering_report`: ``{"<level>.<score>": {value, step}}``
    for the clusters, noise share, DBCV, silhouette, mean stability ARI and ground-truth
    scores (``truth_<name>``) of each level, and the persona size the people's search kept
    (``users.min_cluster_size``); undefined (None) scores are left out."""
    metrics = {}
    for level in ("posts", "users"):
        scores = report[level]
        values = {
            "clusters": scores["clusters"],
            "noise_share": scores["noise_share"],
            "dbcv": scores["dbcv"],
            "silhouette": scores["silhouette"],
            "stability_ari": (scores["stability"] or {}).get("mean_ari"),
            "min_cluster_size": (scores.get("min_cluster_size_selection") or {}).get(
                "min_cluster_size"
            ),
            **{
                f"truth_{name}": value
                for name, value in (scores.get("ground_truth") or {}).items()
                if name != "points"
            },
        }
        metrics.update(
            {
                f"{level}.{name}": {"value": float(value), "step": 0}
                for name, value in values.items()
                if value is not None
            }
        )
    return metrics


def fitted_level(clusterer: PersonaClusterer, level_params: dict[str, Any]) -> dict[str, Any]:
    """``level_params`` with the HDBSCAN settings ``clusterer`` was fitted with (its
    ``params["hdbscan"]``, when it records them): the stability refits then run at the
    ``min_cluster_size`` the fit used, also when it was chosen by a search."""
    fitted = clusterer.params.get("hdbscan")
    return level_params if not fitted else {**level_params, "hdbscan": dict(fitted)}


def clustering_report(
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: PersonaClusterer,
    user_clusterer: PersonaClusterer,
    demo_themes: dict[str, Any] | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Scores of the post and the user clustering (:func:`validate_level`), logged.

    Posts are scored with the post level parameters resolved for their number
    (:func:`post_level_params`), people by their ``persona_feature`` (:func:`persona_frame`)
    with the user level parameters resolved for their number (:func:`user_level_params`) at
    the HDBSCAN settings their clusterer was fitted with (:func:`fitted_level`: the persona
    size the search kept). The users' scores add ``min_cluster_size_selection``: the sizes
    tried with their DBCV and the one kept (``personas.cluster_people_by_validity``; None
    when the clusterer records none).
    ``demo_themes`` (``{"posts": {post_id: theme}, "profiles": {profile: theme}}``, or empty)
    is the ground truth; ``params`` are the clustering parameters. Returns ``{"posts":
    scores, "users": scores, "ground_truth": "demo themes" or None}`` and the encoders of the
    image features the clustered vectors rest on (their ``image_encoder`` columns:
    ``image_encoders``, ``image_encoder_weights``, ``image_encoder_warning``).
    """
    themes = demo_themes or {}
    report = {
        "posts": validate_level(
            post_features,
            post_clusters,
            "post_id",
            post_clusterer,
            themes.get("posts") or {},
            post_level_params(params, len(post_features)),
            params,
        ),
        "users": validate_level(
            persona_frame(user_features),
            user_clusters,
            "profile",
            user_clusterer,
            themes.get("profiles") or {},
            fitted_level(user_clusterer, user_level_params(params, len(user_features))),
            params,
        ),
        "ground_truth": "demo themes" if themes.get("posts") else None,
        **encoder_report(post_features.get("image_encoder"), user_features.get("image_encoder")),
    }
    report["users"]["min_cluster_size_selection"] = user_clusterer.params.get("selection")
    if report["image_encoder_warning"]:
        logger.warning("clustering: %s", report["image_encoder_warning"])
    for level in ("posts", "users"):
        scores = report[level]
        truth = scores.get("ground_truth")
        logger.info(
            "clustering %s: %d clusters, noise %.2f, DBCV %s, ARI vs themes %s",
            level,
            scores["clusters"],
            scores["noise_share"] or 0.0,
            scores["dbcv"],
            None if not truth else round(truth["ari"], 3),
        )
    return report
