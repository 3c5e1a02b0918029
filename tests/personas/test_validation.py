"""Clustering scores: defined when they can be, None (never NaN) when they cannot."""

import numpy as np
import pytest

from insta_kedro.personas.validation import (
    agreement,
    bootstrap_stability,
    bounded_rows,
    clustering_scores,
    dbcv,
    flat_metrics,
    noise_share,
    silhouette_without_noise,
)

RNG = np.random.default_rng(1)
LABELS = np.repeat([0, 1, 2], 15)
POINTS = np.eye(3, 4)[LABELS] * 10 + RNG.normal(scale=0.2, size=(45, 4))


def test_well_separated_clusters_score_high():
    scores = clustering_scores(POINTS, LABELS, LABELS.astype(str).astype(object))
    assert scores["clusters"] == 3 and scores["noise_share"] == 0.0
    assert scores["dbcv"] > 0.5 and scores["silhouette"] > 0.8
    assert scores["ground_truth"]["ari"] == 1.0 and scores["ground_truth"]["nmi"] == 1.0


def test_one_cluster_or_all_noise_have_no_dbcv_or_silhouette():
    one = np.zeros(45, dtype=int)
    assert dbcv(POINTS, one) is None and silhouette_without_noise(POINTS, one) is None
    noise = np.full(45, -1)
    assert noise_share(noise) == 1.0 and dbcv(POINTS, noise) is None
    assert noise_share(np.array([])) is None


def test_silhouette_ignores_noise_points():
    labels = LABELS.copy()
    labels[:5] = -1
    shuffled = POINTS.copy()
    shuffled[:5] = RNG.normal(size=(5, 4)) * 50
    assert silhouette_without_noise(shuffled, labels) > 0.8


def test_agreement_counts_noise_as_a_label_and_skips_unknown_truth():
    truth = np.array(["a", "a", "b", "b", None], dtype=object)
    result = agreement(np.array([0, 0, 1, -1, 5]), truth)
    assert result["points"] == 4 and result["ari"] < 1.0 and result["ari_clustered"] == 1.0
    assert agreement(np.array([0, 1]), np.array([None, None], dtype=object)) is None


def test_stability_is_one_for_a_refit_that_reproduces_the_labels_and_low_for_chance():
    centres = np.eye(3, 4) * 10

    def nearest_centre(sample: np.ndarray) -> np.ndarray:
        return np.linalg.norm(sample[:, None] - centres, axis=2).argmin(axis=1)

    stable = bootstrap_stability(POINTS, LABELS, nearest_centre, n_resamples=10)
    assert stable["mean_ari"] == 1.0 and stable["resamples"] == 10
    rng = np.random.default_rng(2)
    random = bootstrap_stability(POINTS, LABELS, lambda s: rng.integers(0, 3, len(s)), 10)
    assert random["mean_ari"] < 0.3
    assert bootstrap_stability(POINTS[:2], LABELS[:2], nearest_centre) is None


def test_stability_of_refits_that_could_not_fit_is_unknown_not_perfect():
    skipped = bootstrap_stability(POINTS, LABELS, lambda sample: None, n_resamples=4)
    assert skipped["mean_ari"] is None and skipped["skipped_resamples"] == 4
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        bootstrap_stability(POINTS, LABELS, lambda sample: None, fraction=1.0)


def test_stability_above_max_points_refits_subsamples_of_a_bounded_sample_and_says_so():
    centres = np.eye(3, 4) * 10
    refitted = []

    def nearest_centre(sample: np.ndarray) -> np.ndarray:
        refitted.append(sample)
        return np.linalg.norm(sample[:, None] - centres, axis=2).argmin(axis=1)

    bounded = bootstrap_stability(POINTS, LABELS, nearest_centre, 3, 0.8, seed=5, max_points=20)
    assert bounded["sampled"] is True and bounded["sample_size"] == 20
    assert bounded["mean_ari"] == 1.0 and [len(s) for s in refitted] == [16] * 3
    drawn_from = {tuple(row) for row in POINTS[bounded_rows(45, 20, seed=5)]}
    assert all({tuple(row) for row in sample} <= drawn_from for sample in refitted)
    refitted.clear()
    unbounded = bootstrap_stability(POINTS, LABELS, nearest_centre, 3, 0.8, seed=5, max_points=45)
    assert unbounded["sampled"] is False and unbounded["sample_size"] == 45
    assert [len(s) for s in refitted] == [36] * 3
    assert unbounded == bootstrap_stability(POINTS, LABELS, nearest_centre, 3, 0.8, seed=5)


def test_dbcv_and_silhouette_above_max_points_score_one_bounded_sample_and_say_so():
    sampled = clustering_scores(POINTS, LABELS, max_points=30, seed=3)
    rows = bounded_rows(45, 30, seed=3)
    assert len(rows) == 30 and np.array_equal(rows, np.unique(rows))
    assert sampled["dbcv"] == dbcv(POINTS[rows], LABELS[rows])
    assert sampled["silhouette"] == silhouette_without_noise(POINTS[rows], LABELS[rows])
    assert sampled["points"] == 45 and sampled["noise_share"] == 0.0
    assert sampled["sampling"] == dict.fromkeys(
        ("dbcv", "silhouette"), {"sampled": True, "sample_size": 30}
    )
    whole = clustering_scores(POINTS, LABELS, max_points=45)
    assert whole["silhouette"] == silhouette_without_noise(POINTS, LABELS)
    assert whole["dbcv"] == dbcv(POINTS, LABELS) != sampled["dbcv"]
    assert whole["sampling"]["dbcv"] == {"sampled": False, "sample_size": 45}


def test_flat_metrics_of_the_defined_scores_only():
    scores = {"clusters": 3, "noise_share": 0.1, "dbcv": None, "silhouette": 0.5}
    report = {
        "posts": {
            **scores,
            "stability": {"mean_ari": 0.9},
            "ground_truth": {"points": 10, "ari": 1.0, "ari_clustered": None},
        },
        "users": {**scores, "stability": None, "ground_truth": None},
        "ground_truth": "demo themes",
    }
    metrics = flat_metrics(report)
    assert metrics["posts.clusters"] == {"value": 3.0, "step": 0}
    assert sorted(metrics) == [
        "posts.clusters",
        "posts.noise_share",
        "posts.silhouette",
        "posts.stability_ari",
        "posts.truth_ari",
        "users.clusters",
        "users.noise_share",
        "users.silhouette",
    ]


# A cluster of 35 identical posts (the demo's posts without a caption, in a run without image
# features) beside a cluster of two: hdbscan's DBCV asserts on it (hdbscan 0.8).
IDENTICAL = [-0.0193431955, -0.000410256063, -0.0102357371, -0.000513593492, 0.0161740072,
             0.0117351972, -0.0163571425, 0.00668694032, 0.0118395351, -0.00840432756,
             0.00885300152, 0.0119105754, 0.00521175889, 0.0023652243, -0.0064549339,
             -0.00980354007]  # fmt: skip
PAIR = [
    [0.740060449, -0.0544998236, 0.0385969691, -0.0414962284, -0.0102936449, -0.169366121,
     -0.0201511402, 0.182590738, 0.0141935395, 0.151046276, -0.215383947, -0.0895886347,
     0.00264492608, -0.097052224, -0.0463084765, -0.271056652],
    [0.676194847, -0.0587314442, 0.0311971605, -0.054265108, -0.0294101797, -0.0268196799,
     0.052777309, 0.0194201469, -0.0433306061, -0.00440208381, -0.0210555419, -0.0397986881,
     -0.00966837164, 0.106024407, 0.172541454, 0.205272749],
]  # fmt: skip


def test_a_dbcv_hdbscan_cannot_compute_is_none_and_the_other_scores_stay():
    points = np.array([IDENTICAL] * 35 + PAIR, dtype=np.float32).astype(np.float64)
    labels = np.array([0] * 35 + [1, 1])
    scores = clustering_scores(points, labels)
    assert scores["dbcv"] is None
    assert scores["clusters"] == 2 and scores["silhouette"] > 0.5


def test_stability_of_a_fit_without_any_cluster_is_unknown_not_perfect():
    # Refits that also find only noise agree with the fit perfectly (ARI 1.0) on nothing.
    refits = []
    all_noise = np.full(len(LABELS), -1)
    stability = bootstrap_stability(
        POINTS, all_noise, lambda s: refits.append(s) or np.full(len(s), -1), n_resamples=4
    )
    assert stability["mean_ari"] is None and stability["std_ari"] is None
    assert stability["skipped_resamples"] == 4 and refits == []
