"""New points placed in a fitted HDBSCAN clustering: cluster, strength, outlier score and
soft membership.

:func:`place_points` gives, for a block of points, what ``hdbscan.approximate_predict``,
``hdbscan.approximate_predict_scores`` and (when asked) ``hdbscan.membership_vector`` give,
value for value, from one query of the model's own nearest-neighbour tree instead of one per
function, with the rest computed for the whole block at once instead of point by point in
Python. Placing the posts beyond ``max_fit`` is most of the clustering's time at scale
(docs/scaling.md).

The rules are hdbscan's (``hdbscan/prediction.py``): a point's nearest neighbour by mutual
reachability among its ``2 × min_samples`` nearest fitted points, and the ``λ = 1 / distance``
at which it joins it; its cluster is the neighbour's, walked up the condensed tree while the
parent still exists at that ``λ``, its strength ``λ`` over the cluster's largest; its GLOSH
score compares ``λ`` with the largest ``λ`` below the neighbour's parent. Its membership
vector multiplies, per selected cluster, how near the point is to the cluster's exemplars
(hdbscan's own ``all_points_dist_membership_vector``) by a softmax of how high in the tree
the neighbour's cluster merges with it, times the probability that the point is in some
cluster at all.
"""

from dataclasses import dataclass
from typing import NamedTuple

import hdbscan
import numpy as np
from hdbscan._prediction_utils import all_points_dist_membership_vector

_NO_DISTANCE_LAMBDA = np.finfo(np.double).max


@dataclass(frozen=True)
class _Tree:
    """What placing needs of a fitted model, as arrays indexed by point or cluster id."""

    parent_of_point: np.ndarray  # fitted point → the cluster it leaves the condensed tree from
    lambda_of_point: np.ndarray  # fitted point → the λ at which it leaves it
    root: int
    cluster_parent: np.ndarray  # cluster id → its parent cluster (cluster tree rows)
    cluster_lambda: np.ndarray  # cluster id → the λ at which it splits off its parent
    in_cluster_tree: np.ndarray  # cluster id → whether the cluster tree has a row for it
    label_of: np.ndarray  # cluster id → label of the selected cluster it is in, or -1
    label_max_lambda: np.ndarray  # cluster id → the largest λ of that selected cluster
    score_max_lambda: np.ndarray  # cluster id → the largest λ of any point below it


def _tree(model: hdbscan.HDBSCAN) -> _Tree:
    data = model.prediction_data_
    raw = model.condensed_tree_._raw_tree
    parents, children = raw["parent"].astype(np.intp), raw["child"].astype(np.intp)
    lambdas = raw["lambda_val"].astype(np.float64)
    size = int(max(parents.max(), children.max())) + 1
    # hdbscan takes the first row with the point as child (row 0 if none)
    row_of = np.zeros(size, dtype=np.intp)
    unique_children, first_rows = np.unique(children, return_index=True)
    row_of[unique_children] = first_rows

    cluster_tree = data.cluster_tree
    cluster_parent = np.zeros(size, dtype=np.intp)
    cluster_lambda = np.zeros(size)
    in_cluster_tree = np.zeros(size, dtype=bool)
    # hdbscan's lookup keeps the last row of a child
    cluster_parent[cluster_tree["child"]] = cluster_tree["parent"]
    cluster_lambda[cluster_tree["child"]] = cluster_tree["lambda_val"]
    in_cluster_tree[cluster_tree["child"]] = True

    label_of = np.full(size, -1, dtype=np.intp)
    label_max_lambda = np.zeros(size)
    for cluster, label in data.cluster_map.items():
        label_of[cluster] = label
        label_max_lambda[cluster] = data.max_lambdas[cluster]

    # approximate_predict_scores: the largest λ of each parent's rows, then carried up to the
    # parents from the last row to the first
    score_max_lambda = np.full(size, -np.inf)
    np.maximum.at(score_max_lambda, parents, lambdas)
    is_parent = np.zeros(size, dtype=bool)
    is_parent[parents] = True
    for parent, child in zip(
        parents[is_parent[children]][::-1], children[is_parent[children]][::-1], strict=True
    ):
        score_max_lambda[parent] = max(score_max_lambda[parent], score_max_lambda[child])
    return _Tree(
        parent_of_point=parents[row_of],
        lambda_of_point=lambdas[row_of],
        root=int(cluster_tree["parent"].min()),
        cluster_parent=cluster_parent,
        cluster_lambda=cluster_lambda,
        in_cluster_tree=in_cluster_tree,
        label_of=label_of,
        label_max_lambda=label_max_lambda,
        score_max_lambda=score_max_lambda,
    )


class Placement(NamedTuple):
    """Where :func:`place_points` puts each point."""

    labels: np.ndarray  # int, -1 for noise
    strengths: np.ndarray  # float64, hdbscan.approximate_predict's probability
    outlier_scores: np.ndarray  # float64, raw GLOSH score (approximate_predict_scores)
    membership: np.ndarray  # float64 (n, selected clusters), or (n, 0) when not asked


def place_points(model: hdbscan.HDBSCAN, points: np.ndarray, membership: bool = False) -> Placement:
    """Each point's cluster (-1 noise), strength and raw GLOSH outlier score in the
    clustering of ``model`` (fitted with ``prediction_data=True``, its tree holding at least
    one cluster), as ``hdbscan.approximate_predict`` and
    ``hdbscan.approximate_predict_scores`` give them, and with ``membership`` its soft
    membership vector over the selected clusters as ``hdbscan.membership_vector`` gives it
    (which needs at least one row in the model's cluster tree). ``points``: float64
    ``(n, dims)`` in the space the model was fitted in.
    """
    data = model.prediction_data_
    tree = _tree(model)
    min_samples = model.min_samples or model.min_cluster_size
    distances, neighbors = data.tree.query(points, k=2 * min_samples)

    # the nearest neighbour by mutual reachability, and the λ at which the point joins it
    reachability = np.maximum(
        np.maximum(data.core_distances[neighbors], distances[:, min_samples, None]), distances
    )
    nearest_column = reachability.argmin(axis=1)
    rows = np.arange(len(points))
    nearest = neighbors[rows, nearest_column]
    smallest = reachability[rows, nearest_column]
    with np.errstate(divide="ignore"):
        lambdas = np.where(smallest > 0.0, 1.0 / smallest, _NO_DISTANCE_LAMBDA)

    # the cluster: the neighbour's parent, walked up while it still exists at the point's λ
    parent = tree.parent_of_point[nearest]
    cluster = parent.copy()
    walking = tree.lambda_of_point[nearest] > lambdas
    while walking.any():
        candidates = cluster[walking]
        steps = (
            (candidates > tree.root)
            & tree.in_cluster_tree[candidates]
            & (tree.cluster_lambda[candidates] >= lambdas[walking])
        )
        moving = np.flatnonzero(walking)[steps]
        cluster[moving] = tree.cluster_parent[cluster[moving]]
        walking[:] = False
        walking[moving] = True
    labels = tree.label_of[cluster]
    max_lambdas = tree.label_max_lambda[cluster]
    with np.errstate(divide="ignore", invalid="ignore"):
        strengths = np.where(max_lambdas > 0.0, np.minimum(max_lambdas, lambdas) / max_lambdas, 1.0)
    strengths = np.where(labels >= 0, strengths, 0.0)

    # the outlier score, against the neighbour's parent (a point of the fitted data, at
    # distance 0, takes its neighbour's λ)
    score_lambdas = np.where(distances.min(axis=1) == 0, tree.lambda_of_point[nearest], lambdas)
    max_below = tree.score_max_lambda[parent]
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(max_below > 0.0, (max_below - score_lambdas) / max_below, 0.0)
    memberships = np.zeros((len(points), 0))
    if membership:
        memberships = _membership(model, points, tree, nearest, lambdas)
    return Placement(labels.astype(int), strengths, scores, memberships)


def _membership(
    model: hdbscan.HDBSCAN,
    points: np.ndarray,
    tree: _Tree,
    nearest: np.ndarray,
    lambdas: np.ndarray,
) -> np.ndarray:
    """hdbscan.membership_vector of ``points``, whose nearest fitted neighbours by mutual
    reachability and joining λ are ``nearest`` and ``lambdas``."""
    data = model.prediction_data_
    # the selected clusters in label order (prediction data keeps them by label)
    clusters = np.array(
        [data.reverse_cluster_map[label] for label in range(len(data.reverse_cluster_map))],
        dtype=np.intp,
    )
    # the λ at which the point joins its neighbour, no higher than the neighbour leaves the tree
    neighbour_lambdas = tree.lambda_of_point[nearest]
    lambdas = np.where(neighbour_lambdas <= lambdas, neighbour_lambdas, lambdas)
    point_clusters = tree.parent_of_point[nearest]
    unique_clusters, which = np.unique(point_clusters, return_inverse=True)
    merged, merge_lambdas = _merge_heights(unique_clusters, clusters, tree)
    merged, merge_lambdas = merged[which], merge_lambdas[which]
    leaf_max = data.leaf_max_lambdas

    # how high the neighbour's cluster merges with each cluster; hdbscan's per-cluster scores
    # take λ as a float32
    with np.errstate(over="ignore"):
        lambdas32 = lambdas.astype(np.float32).astype(np.float64)[:, None]
    heights = np.where(merged, merge_lambdas, lambdas32)
    max_lambdas = np.array([leaf_max[c] for c in unique_clusters], dtype=np.float64)[which]
    # a cluster of exact duplicates has an infinite largest λ: its rows come out NaN, as
    # hdbscan's do (personas.clustering.complete_membership fills them in)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        denominators = max_lambdas[:, None] - heights
        scores = max_lambdas[:, None] / np.where(denominators <= 0, 1e-8, denominators)
        # np.nanmax's largest, without its warning on an all-NaN row
        outlier = np.exp(scores - np.fmax.reduce(scores, axis=1, keepdims=True))
        outlier /= outlier.sum(axis=1, keepdims=True)

        distance = all_points_dist_membership_vector(
            np.ascontiguousarray(points, dtype=np.float64), data.exemplars, data.dist_metric
        )
        result = distance**0.5 * outlier**2.0
        result /= result.sum(axis=1, keepdims=True)

        # the probability of being in some cluster: the highest merge over the cluster's λ
        heights = np.where(merged, merge_lambdas, lambdas[:, None])
        highest = heights.argmax(axis=1)
        cluster_max = np.array([leaf_max[c] for c in clusters], dtype=np.float64)[highest]
        top = np.where(cluster_max > lambdas, cluster_max, lambdas) + 1e-8
        result *= (heights[np.arange(len(points)), highest] / top)[:, None]
    return result


def _merge_heights(
    point_clusters: np.ndarray, clusters: np.ndarray, tree: _Tree
) -> tuple[np.ndarray, np.ndarray]:
    """For each cluster of ``point_clusters`` (rows) and each selected cluster of ``clusters``
    (columns): whether the two only meet at a common ancestor, each side having walked up the
    cluster tree, and then the λ at which the last one walked merges in (hdbscan's
    ``merge_height``; where they do not, the point's own λ counts instead). A cluster is the
    child of one row of the cluster tree, so ``tree``'s parent and λ are hdbscan's."""
    parent_of, lambda_of = tree.cluster_parent.tolist(), tree.cluster_lambda.tolist()
    merged = np.zeros((len(point_clusters), len(clusters)), dtype=bool)
    merge_lambdas = np.zeros((len(point_clusters), len(clusters)))
    for row, point_cluster in enumerate(point_clusters.tolist()):
        for column, cluster in enumerate(clusters.tolist()):
            left, right, last = point_cluster, cluster, None
            took_left = took_right = False
            while left != right:
                if left > right:
                    took_left, last = True, left
                    left = parent_of[left]
                else:
                    took_right, last = True, right
                    right = parent_of[right]
            if took_left and took_right:
                merged[row, column] = True
                merge_lambdas[row, column] = lambda_of[last]
    return merged, merge_lambdas
