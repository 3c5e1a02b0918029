"""clustering in a real KedroSession after ingestion, text_features and fusion (small demo)."""

import json

import mlflow
import numpy as np
import pandas as pd

from insta_kedro.pipelines.clustering import create_pipeline

DEMO = {"ingestion": {"demo": {"posts_per_profile": 12, "image_size": 64}}}


def test_the_post_clustering_reads_where_to_assign_posts_from_params_engine():
    [node] = [node for node in create_pipeline().nodes if node.name == "cluster_posts"]
    assert node.inputs == ["post_features", "params:clustering", "params:engine"]
    assert "params:engine" in create_pipeline().inputs()


def test_default_pipeline_order_and_outputs(run_kedro, kedro_project):
    run_kedro(["ingestion", "text_features", "fusion", "clustering"], DEMO)
    data = kedro_project / "data"
    posts = pd.read_parquet(data / "02_intermediate/posts.parquet")
    post_clusters = pd.read_parquet(data / "07_model_output/post_clusters.parquet")
    user_clusters = pd.read_parquet(data / "07_model_output/user_clusters.parquet")
    assert post_clusters["post_id"].tolist() == posts["post_id"].tolist()
    assert set(user_clusters["profile"]) == set(posts["profile"])
    profiles = json.loads((data / "08_reporting/cluster_profiles.json").read_text())
    assert set(profiles) == {"posts", "users"} and profiles["users"]
    people = json.loads((data / "08_reporting/user_characterizations.json").read_text())
    assert set(people) == set(posts["profile"])
    assert all(person["circle"] is not None for person in people.values())
    report = json.loads((data / "08_reporting/clustering_report.json").read_text())
    assert report["ground_truth"] == "demo themes"
    assert report["users"]["ground_truth"]["ari"] >= 0.8
    for name in ("post_clusterer", "user_clusterer"):
        assert (data / f"06_models/{name}.pickle").exists()
    for name in (
        "post_cluster_map.html",
        "user_cluster_map.html",
        "post_condensed_tree.png",
        "user_condensed_tree.png",
        "cluster_interests.png",
    ):
        assert (data / "08_reporting" / name).stat().st_size > 0
    runs = mlflow.search_runs(experiment_names=["insta_kedro"], output_format="list")
    metrics = {k: v for run in runs for k, v in run.data.metrics.items()}
    assert metrics["clustering.users.truth_ari"] == report["users"]["ground_truth"]["ari"]
    assert metrics["clustering.posts.noise_share"] == report["posts"]["noise_share"]
    artifacts = {
        a.path
        for run in runs
        for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "clustering")
    }
    assert "clustering/clustering_report.json" in artifacts


def _reports(data) -> dict:
    """The clustering reports a user opens without the app, read back."""
    return {
        name: json.loads((data / "08_reporting" / f"{name}.json").read_text())
        for name in ("clustering_report", "cluster_profiles", "user_characterizations")
    }


def _write_image_features(data, encoder: str) -> None:
    """``image_features`` of every post of ``data``: seeded vectors of pool's width, named as
    ``encoder`` made them (VGG16 itself is run by the image_features tests)."""
    posts = pd.read_parquet(data / "02_intermediate/posts.parquet")
    (data / "04_feature").mkdir(exist_ok=True)
    vectors = np.random.default_rng(0).gamma(1.0, 1.0, (len(posts), 512)).astype(np.float32)
    pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "image_sha256": [f"{i:064x}" for i in range(len(posts))],
            "feature": list(vectors),
            "encoder": encoder,
            "error": None,
        }
    ).to_parquet(data / "04_feature/image_features.parquet")


def test_reports_and_plots_of_random_vgg16_features_say_so_and_of_imagenet_ones_not(
    run_kedro, kedro_project
):
    demo = {"ingestion": {"demo": {"n_profiles": 6, "posts_per_profile": 6, "image_size": 64}}}
    data = kedro_project / "data"
    run_kedro(["ingestion"], demo)
    _write_image_features(data, "vgg16-pool-random")  # no ImageNet weights: random ones
    run_kedro(["text_features", "fusion", "clustering"], demo)
    random = {"image_encoders": ["vgg16-pool-random"], "image_encoder_weights": "random"}
    reports = _reports(data)
    report = reports["clustering_report"]
    assert {k: report[k] for k in random} == random
    assert "RANDOM VGG16 weights" in report["image_encoder_warning"]
    for level in reports["cluster_profiles"].values():
        assert all({k: c[k] for k in random} == random for c in level.values())
    for person in reports["user_characterizations"].values():
        assert {k: person[k] for k in random} == random
    post_map = (data / "08_reporting/post_cluster_map.html").read_text()
    assert "RANDOM VGG16 weights (vgg16-pool-random)" in post_map

    _write_image_features(data, "vgg16-pool-imagenet")  # ImageNet weights placed, run again
    run_kedro(["fusion", "clustering"], demo)
    imagenet = {"image_encoders": ["vgg16-pool-imagenet"], "image_encoder_weights": "imagenet"}
    reports = _reports(data)
    report = reports["clustering_report"]
    assert {k: report[k] for k in imagenet} == imagenet
    assert report["image_encoder_warning"] is None
    for level in reports["cluster_profiles"].values():
        assert all({k: c[k] for k in imagenet} == imagenet for c in level.values())
    for person in reports["user_characterizations"].values():
        assert {k: person[k] for k in imagenet} == imagenet
    assert "RANDOM" not in (data / "08_reporting/post_cluster_map.html").read_text()
