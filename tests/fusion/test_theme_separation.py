"""Silhouette and k-NN accuracy of known themes."""

import numpy as np

from insta_kedro.fusion.theme_separation import knn_accuracy, separation_scores

RNG = np.random.default_rng(1)
LABELS = np.repeat(["food", "pets", "music"], 20)


def clustered(spread: float) -> np.ndarray:
    centres = {"food": [5, 0, 0], "pets": [0, 5, 0], "music": [0, 0, 5]}
    return np.array([centres[label] for label in LABELS]) + RNG.normal(size=(60, 3)) * spread


def test_separated_themes_score_high_and_noise_scores_near_chance():
    tight = separation_scores(clustered(0.3), LABELS)
    assert tight["knn_accuracy"] == 1.0
    assert tight["silhouette"] > 0.8
    noise = separation_scores(RNG.normal(size=(60, 3)), LABELS)
    assert noise["knn_accuracy"] < 0.6
    assert abs(noise["silhouette"]) < 0.2


def test_knn_leaves_the_post_itself_out():
    features = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.01, 1.0]])
    assert knn_accuracy(features, np.array(["a", "a", "b", "b"]), k=1) == 1.0
    assert knn_accuracy(features, np.array(["a", "b", "a", "b"]), k=1) == 0.0


def test_undefined_cases_give_none():
    assert separation_scores(clustered(0.3), np.array(["x"] * 60)) == {
        "silhouette": None,
        "knn_accuracy": None,
    }
    assert separation_scores(np.zeros((60, 0)), LABELS)["silhouette"] is None
