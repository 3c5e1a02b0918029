"""Silhouette and k-NN accuracy of known themes, and the ablation of the fusion blocks."""

import numpy as np

from insta_kedro.fusion.theme_separation import (
    ablation_note,
    evaluate_theme_separation,
    knn_accuracy,
    separation_scores,
)

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


def ablation(fused_demo, themes, params, **overrides):
    """``evaluate_theme_separation`` of the fused demo with the shipped ablation settings."""
    settings = {
        "k": params["ablation"]["k"],
        "max_posts": params["ablation"]["max_posts"],
        "seed": params["seed"],
        **overrides,
    }
    return evaluate_theme_separation(
        fused_demo.post_features, fused_demo.blocks, themes, **settings
    )


def test_ablation_on_demo_themes(fused_demo, fusion_params):
    report, metrics = ablation(fused_demo, fused_demo.themes, fusion_params)
    result = report["ablation"]
    assert result["ground_truth_posts"] == len(fused_demo.posts)
    assert set(result["blocks"]) == {"own_text", "interests"}
    best = result["blocks"][result["best_single_block"]]["knn_accuracy"]
    assert result["fused"]["knn_accuracy"] >= best
    assert result["fusion_at_least_as_good_as_best_block"]
    assert result["fused"]["knn_accuracy"] > 3 * result["chance_knn_accuracy"]
    assert result["k"] == fusion_params["ablation"]["k"]
    assert metrics["fused.knn_accuracy"] == {"value": result["fused"]["knn_accuracy"], "step": 0}


def test_no_ground_truth_skips_the_ablation(fused_demo, fusion_params):
    for themes in ({}, None, {"posts": {"not_a_post": "food"}}):
        report, metrics = ablation(fused_demo, themes, fusion_params)
        assert report["ablation"]["ground_truth_posts"] == 0
        assert metrics == {}
        assert report["blocks"] == fused_demo.blocks["blocks"]


def test_the_ablation_samples_at_most_max_posts(fused_demo, fusion_params):
    report, _ = ablation(fused_demo, fused_demo.themes, fusion_params, max_posts=40)
    again, _ = ablation(fused_demo, fused_demo.themes, fusion_params, max_posts=40)
    assert report["ablation"]["ground_truth_posts"] == 40
    assert report == again  # the same sample for the same seed


def test_one_theme_separates_nothing(fused_demo, fusion_params):
    one_theme = {"posts": dict.fromkeys(fused_demo.posts["post_id"], "food")}
    report, metrics = ablation(fused_demo, one_theme, fusion_params)
    assert report["ablation"]["note"].startswith("no block separates anything")
    assert report["ablation"]["fused"] == {"silhouette": None, "knn_accuracy": None}
    assert metrics == {}


def test_the_note_names_the_best_block_the_dropped_blocks_and_random_weights():
    blocks = {
        "blocks": {"image": {"used": True}, "gen_text": {"used": False}},
        "image_encoder": ["vgg16-fc2-random"],
    }
    note = ablation_note(False, "image", blocks)
    assert note.startswith("Fusion is below its best single block (image)")
    assert "Blocks not available in this run: gen_text." in note
    assert "randomly initialized VGG16 weights" in note
    kept = ablation_note(True, "own_text", {"blocks": {"own_text": {"used": True}}})
    assert kept == (
        "Fusion separates themes at least as well as the best single block (own_text) "
        "by k-NN accuracy."
    )
