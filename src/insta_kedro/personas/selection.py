"""The size of a persona, chosen by how well people cluster at each size.

``clustering.users.hdbscan.min_cluster_size: auto`` starts from
``max(2, round(sqrt(people) / 2))`` (:func:`~insta_kedro.personas.clustering.user_level_params`).
Among a few dozen people that one number decides which kinds of poster form a persona and
who is noise, and one person more or less moves it. So the people are clustered at each
multiple of it in ``clustering.users.min_cluster_size_search`` and the clustering whose
density-based validity (DBCV, ``hdbscan.validity``, on the reduced persona vectors) is the
highest is kept: a choice made from the people's own vectors, with no label. Among thousands
of people every size gives the same personas (``cluster_selection_epsilon`` merges what
splits by chance), so the search changes little there.
"""

from typing import Any

import numpy as np
import pandas as pd

from insta_kedro.personas.clustering import (
    ClusteringResult,
    PersonaClusterer,
    cluster_people,
    fit_persona_clusterer,
    fitted_clusters,
    persona_frame,
    stack_vectors,
    too_few_points,
    user_level_params,
)
from insta_kedro.personas.validation import dbcv


def candidate_sizes(params: dict[str, Any], n_people: int) -> list[int]:
    """The ``min_cluster_size`` values tried for ``n_people`` people, the ``auto`` size first:
    each multiple of it in ``params["users"]["min_cluster_size_search"]`` (rounded, at least
    2), but none too large for HDBSCAN to find two personas among the people. Only the
    ``auto`` size when ``min_cluster_size`` is set to a number."""
    users = params["users"]
    auto = user_level_params(params, n_people)["hdbscan"]
    if users["hdbscan"]["min_cluster_size"] != "auto":
        return [auto["min_cluster_size"]]
    sizes = [auto["min_cluster_size"]]
    for factor in users.get("min_cluster_size_search") or ():
        size = max(2, round(auto["min_cluster_size"] * factor))
        if size not in sizes and not too_few_points(n_people, {**auto, "min_cluster_size": size}):
            sizes.append(size)
    return sizes


def size_fits(
    vectors: np.ndarray, params: dict[str, Any], sizes: list[int], seed: int, max_points: int
) -> dict[int, tuple[float | None, PersonaClusterer, ClusteringResult]]:
    """The people's clustering at each of ``sizes``: its DBCV (None where it is undefined:
    fewer than two personas, or no fit), the fitted clusterer and its result."""
    users = user_level_params(params, len(vectors))
    fits = {}
    for size in sizes:
        level = {**users, "hdbscan": {**users["hdbscan"], "min_cluster_size": size}}
        clusterer, result = fit_persona_clusterer(vectors, level, seed)
        metric = level["hdbscan"].get("metric", "euclidean")
        score = None
        if not clusterer.skipped:
            score = dbcv(result.reduced, result.labels, metric, max_points, seed)
        fits[size] = (score, clusterer, result)
    return fits


def best_size(scores: dict[int, float | None]) -> int:
    """The size of the highest score; the first (the ``auto`` size) when none is higher or
    none is defined."""
    first = next(iter(scores))
    defined = {size: score for size, score in scores.items() if score is not None}
    if not defined:
        return first
    best = max(defined.values())
    if scores[first] is not None and scores[first] >= best:
        return first
    return next(size for size, score in defined.items() if score == best)


def cluster_people_by_validity(
    user_features: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """Cluster people (:func:`~insta_kedro.personas.clustering.cluster_people`) at the
    ``min_cluster_size`` of :func:`candidate_sizes` whose clustering has the highest DBCV.

    ``params``: the clustering parameters (``seed``, ``users``,
    ``validation.max_points``: DBCV scores at most that many people, a seeded sample).
    Returns the clusters and the clusterer of :func:`cluster_people`; the clusterer's
    ``params["selection"]`` records each size tried with its DBCV and the size kept.
    """
    seed = params["seed"]
    frame = persona_frame(user_features)
    users = user_level_params(params, len(frame))
    sizes = candidate_sizes(params, len(frame))
    if len(sizes) == 1:
        clusters, clusterer = cluster_people(user_features, users, seed)
        scores: dict[int, float | None] = {sizes[0]: None}
        chosen = sizes[0]
    else:
        vectors, usable = stack_vectors(frame["feature"])
        fits = size_fits(vectors[usable], params, sizes, seed, params["validation"]["max_points"])
        scores = {size: score for size, (score, _, _) in fits.items()}
        chosen = best_size(scores)
        _, clusterer, result = fits[chosen]
        clusters = fitted_clusters(frame, "profile", usable, clusterer, result)
        clusters = clusters.drop(columns="outlier_score")  # as cluster_people gives them
    clusterer.params["selection"] = {
        "by": "dbcv",
        "auto": sizes[0],
        "dbcv": {str(size): score for size, score in scores.items()},
        "min_cluster_size": chosen,
    }
    return clusters, clusterer
