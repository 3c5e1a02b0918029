"""clustering in a real KedroSession after ingestion, text_features and fusion (small demo)."""

import json

import mlflow
import pandas as pd

from insta_kedro.pipelines.clustering import create_pipeline

DEMO = {"ingestion.demo.posts_per_profile": 12, "ingestion.demo.image_size": 64}


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
