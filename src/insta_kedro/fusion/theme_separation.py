"""How well a feature space separates known themes: silhouette and k-NN accuracy.

Used for the fusion ablation on the demo ground truth (never a feature). Both use cosine
distance; a post whose vector is all zero (its block absent) is at distance 1 from every
post, so a block that covers few posts scores low, as it should.

- silhouette: scikit-learn's silhouette score of the theme labels, in [-1, 1].
- k-NN accuracy: leave-one-out, each post gets the majority theme of its ``k`` nearest
  other posts (ties: the theme of the nearest among them); chance is about 1 / themes.
"""

from collections import Counter

import numpy as np
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import cosine_distances


def knn_accuracy(features: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-nearest-neighbour accuracy under cosine distance."""
    n = len(labels)
    if n < 2:
        return float("nan")
    distances = cosine_distances(features)
    np.fill_diagonal(distances, np.inf)
    k = min(k, n - 1)
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :k]
    correct = 0
    for row, label in zip(neighbours, labels, strict=True):
        votes = Counter(labels[row])
        best = max(votes.values())
        winner = next(labels[i] for i in row if votes[labels[i]] == best)
        correct += winner == label
    return correct / n


def separation_scores(features: np.ndarray, labels: np.ndarray, k: int = 5) -> dict[str, float]:
    """``silhouette`` and ``knn_accuracy`` of ``labels`` in ``features`` (None when undefined)."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2 or len(labels) < 3 or features.shape[1] == 0:
        return {"silhouette": None, "knn_accuracy": None}
    silhouette = float(silhouette_score(features, labels, metric="cosine"))
    return {
        "silhouette": round(silhouette, 4),
        "knn_accuracy": round(knn_accuracy(features, labels, k), 4),
    }
