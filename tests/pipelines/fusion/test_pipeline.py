"""text_features + fusion in a real KedroSession, after ingestion only (no image features,
no generated captions), then with the optional inputs present."""

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml

OPTIONAL_INPUTS = {
    "catalog.yml": ("image_features", "image_labels"),
    "catalog_caption_model.yml": ("generated_captions",),
}
OPTIONAL_TYPE = "insta_kedro.kedro_ext.optional_parquet_dataset.OptionalParquetDataset"
COLUMNS = {
    "image_features": ["post_id", "image_sha256", "feature", "encoder", "error"],
    "image_labels": ["post_id", "rank", "label", "probability"],
    "generated_captions": ["post_id", "generated_caption", "mean_log_prob", "decoder"],
}


def use_optional_datasets(project: Path) -> None:
    """Declare the optional inputs as OptionalParquetDataset in the temporary project.

    No-op once conf/base does it (docs/features.md asks for that change).
    """
    for file_name, names in OPTIONAL_INPUTS.items():
        path = project / "conf" / "base" / file_name
        if not path.exists():
            continue
        catalog = yaml.safe_load(path.read_text())
        for name in names:
            if name in catalog and catalog[name]["type"] != OPTIONAL_TYPE:
                catalog[name]["type"] = OPTIONAL_TYPE
                catalog[name]["columns_when_missing"] = COLUMNS[name]
        path.write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False))


@pytest.fixture
def after_ingestion(run_kedro, kedro_project):
    use_optional_datasets(kedro_project)
    run_kedro(["ingestion"])
    return kedro_project


def fusion_run_metrics() -> dict[str, float]:
    runs = mlflow.search_runs(experiment_names=["insta_kedro"], output_format="list")
    return {k: v for run in runs for k, v in run.data.metrics.items() if k.startswith("fusion.")}


def test_runs_when_only_ingestion_has_run(run_kedro, after_ingestion):
    project = after_ingestion
    run_kedro(["text_features", "fusion"])
    text = pd.read_parquet(project / "data/04_feature/post_text_features.parquet")
    posts = pd.read_parquet(project / "data/02_intermediate/posts.parquet")
    assert len(text) == len(posts)
    assert (project / "data/06_models/caption_topic_model.pickle").exists()
    post_features = pd.read_parquet(project / "data/04_feature/post_features.parquet")
    users = pd.read_parquet(project / "data/04_feature/user_features.parquet")
    assert len(post_features) == len(posts)
    assert set(users["profile"]) == set(posts["profile"])
    report = json.loads((project / "data/08_reporting/fusion_report.json").read_text())
    assert not report["blocks"]["image"]["used"] and not report["blocks"]["gen_text"]["used"]
    assert report["ablation"]["fusion_at_least_as_good_as_best_block"]
    metrics = fusion_run_metrics()
    assert metrics["fusion.fused.knn_accuracy"] == report["ablation"]["fused"]["knn_accuracy"]


def test_uses_image_features_labels_and_generated_captions_when_present(run_kedro, after_ingestion):
    project = after_ingestion
    posts = pd.read_parquet(project / "data/02_intermediate/posts.parquet")
    ids = posts["post_id"].tolist()
    rng = np.random.default_rng(0)
    for folder in ("04_feature", "07_model_output"):
        (project / "data" / folder).mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "post_id": ids,
            "image_sha256": "x",
            "encoder": "vgg16-pool-imagenet",
            "error": None,
            "feature": [rng.normal(size=16).astype(np.float32) for _ in ids],
        }
    ).to_parquet(project / "data/04_feature/image_features.parquet")
    pd.DataFrame({"post_id": ids, "rank": 1, "label": "pizza", "probability": 0.5}).to_parquet(
        project / "data/04_feature/image_labels.parquet"
    )
    pd.DataFrame(
        {
            "post_id": ids,
            "generated_caption": "pasta night 🍝 #foodie",
            "mean_log_prob": np.log(0.25),
            "decoder": "greedy",
        }
    ).to_parquet(project / "data/07_model_output/generated_captions.parquet")
    run_kedro(["text_features", "fusion"])
    post_features = pd.read_parquet(project / "data/04_feature/post_features.parquet")
    assert post_features["confidence_image"].tolist() == [0.5] * len(ids)
    assert post_features["confidence_gen_text"].tolist() == pytest.approx([0.25] * len(ids))
    report = json.loads((project / "data/08_reporting/fusion_report.json").read_text())
    assert all(block["used"] for block in report["blocks"].values())
    assert set(report["ablation"]["blocks"]) == {"image", "own_text", "gen_text", "interests"}
