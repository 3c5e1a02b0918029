"""How well a feature space separates known themes: silhouette and k-NN accuracy.

Used for the fusion ablation on the demo ground truth (never a feature). Both use cosine
distance; a post whose vector is all zero (its block absent) is at distance 1 from every
post, so a block that covers few posts scores low, as it should.

- silhouette: scikit-learn's silhouette score of the theme labels, in [-1, 1].
- k-NN accuracy: leave-one-out, each post gets the majority theme of its ``k`` nearest
  other posts (ties: the theme of the nearest among them); chance is about 1 / themes.

:func:`evaluate_theme_separation` is the ablation: each fusion block alone vs the fused vector,
with :func:`ablation_note` saying what came out.
"""

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
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


def evaluate_theme_separation(
    post_features: pd.DataFrame,
    fusion_blocks: Mapping[str, Any],
    demo_themes: Mapping[str, Any] | None,
    k: int,
    max_posts: int,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ablation on the demo ground truth: each used block alone vs the fused vector.

    ``post_features``: ``post_id`` and the fused ``feature``; ``fusion_blocks``: the fusion
    summary (``blocks`` with ``used`` and ``columns``, the slice of each block in the vector);
    ``demo_themes``: the ground truth, ``posts`` mapping post_id → theme (empty or None for
    real data). At most ``max_posts`` labelled posts are scored (sampled with ``seed``), by
    :func:`separation_scores` with ``k`` neighbours.

    Returns ``fusion_report`` (the summary plus ``ablation``: the scores of each block and of
    the fused vector, the best single block, whether fusion is at least as good, chance
    accuracy and a note; or only the count and a note when there is no ground truth or no
    block separates anything) and the metrics for MLflow, ``{"<block>.<metric>": {value,
    step}}`` (empty when the ablation did not score).
    """
    report: dict[str, Any] = {**fusion_blocks, "ablation": {}}
    truth = (demo_themes or {}).get("posts") or {}
    labelled = post_features[post_features["post_id"].isin(truth)]
    if labelled.empty:
        report["ablation"] = {
            "ground_truth_posts": 0,
            "note": "no demo ground truth (real data): ablation not run",
        }
        return report, {}
    if len(labelled) > max_posts:
        labelled = labelled.sample(max_posts, random_state=seed)
    labels = labelled["post_id"].map(truth).to_numpy()
    vectors = np.stack(labelled["feature"].map(lambda v: np.asarray(v, np.float32)).tolist())
    scores = {
        name: separation_scores(vectors[:, slice(*block["columns"])], labels, k)
        for name, block in fusion_blocks["blocks"].items()
        if block["used"]
    }
    fused = separation_scores(vectors, labels, k)
    single = {n: s for n, s in scores.items() if s["knn_accuracy"] is not None}
    if not single or fused["knn_accuracy"] is None:
        report["ablation"] = {
            "ground_truth_posts": len(labelled),
            "blocks": scores,
            "fused": fused,
            "note": "no block separates anything: "
            "too few themes, posts or features for the ablation",
        }
        return report, {}
    best = max(single, key=lambda n: (single[n]["knn_accuracy"], single[n]["silhouette"]))
    at_least_best = fused["knn_accuracy"] >= single[best]["knn_accuracy"]
    report["ablation"] = {
        "ground_truth_posts": len(labelled),
        "themes": sorted(set(labels.tolist())),
        "chance_knn_accuracy": round(float(max(pd.Series(labels).value_counts(normalize=True))), 4),
        "k": k,
        "metric": "cosine",
        "blocks": scores,
        "fused": fused,
        "best_single_block": best,
        "fusion_at_least_as_good_as_best_block": bool(at_least_best),
        "note": ablation_note(at_least_best, best, fusion_blocks),
    }
    metrics = {
        f"{name}.{metric}": {"value": float(value), "step": 0}
        for name, values in {**scores, "fused": fused}.items()
        for metric, value in values.items()
        if value is not None
    }
    return report, metrics


def ablation_note(at_least_best: bool, best: str, fusion_blocks: Mapping[str, Any]) -> str:
    """One sentence on the outcome, and on what the dropped blocks would add.

    ``at_least_best``: whether the fused vector's k-NN accuracy reaches that of ``best``, the
    best single block; ``fusion_blocks``: the fusion summary (``blocks`` with ``used``,
    ``image_encoder``). Returns the sentences joined by spaces.
    """
    dropped = [n for n, b in fusion_blocks["blocks"].items() if not b["used"]]
    encoders = fusion_blocks.get("image_encoder") or []
    notes = [
        "Fusion separates themes at least as well as the best single block "
        f"({best}) by k-NN accuracy."
        if at_least_best
        else f"Fusion is below its best single block ({best}) by k-NN accuracy: lower the "
        "weights of the weaker blocks in fusion.block_weights."
    ]
    if dropped:
        notes.append(f"Blocks not available in this run: {', '.join(dropped)}.")
    if any("random" in e for e in encoders):
        notes.append(
            "Image features come from randomly initialized VGG16 weights: they carry "
            "no ImageNet semantics; pretrained weights would strengthen the image block."
        )
    return " ".join(notes)
