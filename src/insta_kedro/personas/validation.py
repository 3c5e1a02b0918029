"""How good is a clustering: DBCV, silhouette, noise share, stability, agreement with truth.

Every score is ``None`` (with the reason in ``notes``) when it is undefined: DBCV and the
silhouette need two clusters or more, agreement needs ground-truth labels.
"""

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from hdbscan.validity import validity_index
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

from insta_kedro.personas.clustering import NOISE

logger = logging.getLogger(__name__)


def noise_share(labels: np.ndarray) -> float | None:
    """Share of points labelled -1 (None without points)."""
    return float(np.mean(labels == NOISE)) if len(labels) else None


def cluster_count(labels: np.ndarray) -> int:
    return len(set(labels.tolist()) - {NOISE})


def dbcv(
    reduced: np.ndarray,
    labels: np.ndarray,
    metric: str = "euclidean",
    max_points: int = 5000,
    seed: int = 42,
) -> float | None:
    """Density-based clustering validation (``hdbscan.validity``), on at most ``max_points``.

    None with fewer than two clusters (or when the index is not finite, e.g. clusters of one
    distinct point).
    """
    if cluster_count(labels) < 2 or reduced.shape[1] == 0:
        return None
    rows = np.arange(len(labels))
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
        if cluster_count(labels[rows]) < 2:
            return None
    try:
        score = validity_index(
            reduced[rows].astype(np.float64), labels[rows].astype(np.intp), metric=metric
        )
    except (ValueError, ZeroDivisionError, IndexError) as error:
        logger.warning("DBCV not computable: %s", error)
        return None
    return float(score) if np.isfinite(score) else None


def silhouette_without_noise(
    reduced: np.ndarray, labels: np.ndarray, metric: str = "euclidean"
) -> float | None:
    """Silhouette of the non-noise points; None with fewer than 2 clusters or too few points."""
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
) -> dict[str, Any] | None:
    """Mean ARI between the full fit's labels and refits on random subsamples.

    Each resample draws ``fraction`` (in (0, 1)) of the points without replacement
    (duplicates would create artificial density for HDBSCAN), refits with
    ``refit(features) -> labels`` and compares the labels of the drawn points. A refit that
    returns None (too few points to fit) is counted in ``skipped_resamples``, not scored;
    ``mean_ari`` is None when none was scored. None with fewer than 3 points.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the stability fraction must be in (0, 1), got {fraction!r}")
    n_points = len(labels)
    size = int(round(fraction * n_points))
    if n_resamples < 1 or size < 3:
        return None
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_resamples):
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
    }


def clustering_scores(
    reduced: np.ndarray,
    labels: np.ndarray,
    truth: np.ndarray | None = None,
    metric: str = "euclidean",
    max_points: int = 5000,
    seed: int = 42,
) -> dict[str, Any]:
    """Points, clusters, noise share, DBCV, silhouette and (with truth) ARI/NMI."""
    scores: dict[str, Any] = {
        "points": len(labels),
        "clusters": cluster_count(labels),
        "noise_share": noise_share(labels),
        "dbcv": dbcv(reduced, labels, metric, max_points, seed),
        "silhouette": silhouette_without_noise(reduced, labels, metric),
    }
    scores["ground_truth"] = agreement(labels, truth) if truth is not None else None
    return scores
