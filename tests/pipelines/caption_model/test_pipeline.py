import json
from pathlib import Path

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog
from mlflow.tracking import MlflowClient

from insta_kedro.captioning import NotTrained
from insta_kedro.kedro_ext import MissingInputError, check_inputs_exist
from insta_kedro.pipelines.caption_model import create_pipeline
from insta_kedro.pipelines.ingestion import create_pipeline as ingestion_pipeline
from tests.captioning.conftest import TINY_PARAMS
from tests.contracts import GENERATED_CAPTIONS_COLUMNS

CATALOG_FILE = Path(__file__).resolve().parents[3] / "conf" / "base" / "catalog_caption_model.yml"


def _catalog_entry(name: str, filepath: Path) -> dict:
    entry = yaml.safe_load(CATALOG_FILE.read_text())[name]
    (entry.get("dataset") or entry)["filepath"] = str(filepath)  # wrapped by MLflow's, or not
    return {name: entry}


def test_model_saves_and_loads_through_the_catalog_and_is_logged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts the artifacts of a SQLite store in ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    from insta_kedro.captioning.network import build_caption_model

    model = build_caption_model("inject", 9, 6, 4, 8, 8)
    catalog = DataCatalog.from_config(_catalog_entry("caption_model", tmp_path / "m.keras"))
    with mlflow.start_run() as run:
        catalog.save("caption_model", model)
    loaded = catalog.load("caption_model")
    inputs = {"image": np.ones((2, 6), "float32"), "tokens": np.array([[1, 5, 6], [1, 4, 0]])}
    np.testing.assert_allclose(loaded(inputs), model(inputs), atol=1e-6)
    assert isinstance(loaded, keras.Model) and (tmp_path / "m.keras").exists()
    artifacts = MlflowClient().list_artifacts(run.info.run_id, "caption_model")
    assert [a.path for a in artifacts] == ["caption_model/m.keras"]


def test_missing_inputs_name_the_pipeline_to_run_first(tmp_path):
    catalog = DataCatalog.from_config(
        {
            "posts": {"type": "pandas.ParquetDataset", "filepath": str(tmp_path / "posts.pq")},
            "image_features": {"type": "pandas.ParquetDataset", "filepath": str(tmp_path / "f")},
        }
    )
    pipelines = {"ingestion": ingestion_pipeline(), "caption_model": create_pipeline()}
    with pytest.raises(
        MissingInputError,
        match=r"'image_features'.*and 1 more \(posts\).*run `kedro run --pipelines=ingestion` "
        r"and the pipeline that writes 'image_features' first",
    ):
        check_inputs_exist(create_pipeline(), catalog, pipelines, "caption_model")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "f")
    with pytest.raises(MissingInputError, match=r"'posts'.*kedro run --pipelines=ingestion"):
        check_inputs_exist(create_pipeline(), catalog, pipelines, "caption_model")


def test_kedro_run_is_one_mlflow_run_with_params_history_tags_and_artifacts(
    kedro_project, run_kedro, posts, image_features, monkeypatch, tmp_path, fused_lstm_op_builds
):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    (kedro_project / "src").mkdir(exist_ok=True)
    for folder in ("02_intermediate", "04_feature"):
        (kedro_project / "data" / folder).mkdir(parents=True)
    posts.to_parquet(kedro_project / "data/02_intermediate/posts.parquet")
    image_features.to_parquet(kedro_project / "data/04_feature/image_features.parquet")

    run_kedro(["caption_model"], {"caption_model": {**TINY_PARAMS, "checkpoint_dir": "ckpt"}})

    generated = pd.read_parquet(kedro_project / "data/07_model_output/generated_captions.parquet")
    assert len(generated) == len(posts) and (generated["decoder"] == "greedy").all()
    for path in (
        "05_model_input/caption_vocab.json",
        "06_models/caption_model.keras",
        "08_reporting/caption_metrics.json",
    ):
        assert (kedro_project / "data" / path).exists(), path

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("insta_kedro")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["caption_model.epochs"] == "2"
    assert run.data.params["caption_model.architecture"] == "merge"
    assert "image_features.layer" in run.data.params
    history = client.get_metric_history(run.info.run_id, "val_bpc")
    assert [m.step for m in history] == [1, 2]
    assert {"loss", "val_loss", "test.bpc", "test.perplexity", "image_gain_bpc"} <= set(
        run.data.metrics
    )
    assert "baselines.char_5gram_witten_bell_bpc" in run.data.metrics
    assert "generation.real_word_rate" in run.data.metrics
    assert run.data.tags["caption_model.encoder_weights"] == "random"
    assert len(run.data.tags["caption_model.data.post_ids_sha256"]) == 64
    # on a CPU: packed rows, the LSTM as the fused op where it builds
    assert run.data.tags["caption_model.packed"] == "True"
    assert run.data.tags["caption_model.fused_lstm"] == str(fused_lstm_op_builds)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "caption_model")}
    assert {
        "caption_model/caption_model.keras",
        "caption_model/caption_vocab.json",
        "caption_model/caption_loss_curve.png",
        "caption_model/caption_samples.csv",
        "caption_model/caption_metrics.json",
    } <= artifacts


def test_saving_no_model_removes_an_earlier_model_and_logs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    from insta_kedro.captioning.network import build_caption_model

    path = tmp_path / "m.keras"
    catalog = DataCatalog.from_config(_catalog_entry("caption_model", path))
    catalog.save("caption_model", build_caption_model("merge", 9, 6, 4, 8, 8))
    assert catalog.exists("caption_model")
    with mlflow.start_run() as run:
        catalog.save("caption_model", NotTrained("no captioned photo"))
    assert not path.exists() and not catalog.exists("caption_model")
    assert catalog.load("caption_model") == NotTrained("no captioned photo")
    assert not MlflowClient().list_artifacts(run.info.run_id, "caption_model")
    # another process (a later run) finds no file: "no model", with where it looked
    fresh = DataCatalog.from_config(_catalog_entry("caption_model", path))
    assert "no model at" in fresh.load("caption_model").reason


def test_a_run_without_usable_images_writes_every_output_and_tags_the_mlflow_run(
    kedro_project, run_kedro, posts, image_features
):
    for folder in ("02_intermediate", "04_feature", "06_models"):
        (kedro_project / "data" / folder).mkdir(parents=True)
    posts.to_parquet(kedro_project / "data/02_intermediate/posts.parquet")
    image_features.assign(feature=None, error="cannot decode image").to_parquet(
        kedro_project / "data/04_feature/image_features.parquet"
    )
    stale = kedro_project / "data/06_models/caption_model.keras"
    stale.write_bytes(b"an earlier run's model")

    run_kedro(["caption_model"], {"caption_model": {**TINY_PARAMS, "checkpoint_dir": "ckpt"}})

    data = kedro_project / "data"
    assert not stale.exists()  # never beside metrics that say "not trained"
    generated = pd.read_parquet(data / "07_model_output/generated_captions.parquet")
    assert generated.empty
    assert list(generated.columns) == GENERATED_CAPTIONS_COLUMNS
    metrics = json.loads((data / "08_reporting/caption_metrics.json").read_text())
    assert metrics["trained"] is False
    assert metrics["not_trained_reason"].startswith("0 captioned post(s) with a usable image")
    assert metrics["data"]["image_feature_errors"] == {"cannot decode image": len(posts)}
    history = json.loads((data / "06_models/caption_training_history.json").read_text())
    assert history["trained"] is False
    samples = pd.read_csv(data / "08_reporting/caption_samples.csv")
    assert samples.empty and "generated_caption" in samples.columns

    client = MlflowClient()
    (run,) = client.search_runs([client.get_experiment_by_name("insta_kedro").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.tags["caption_model.trained"] == "False"
    assert run.data.tags["caption_model.not_trained_reason"] == metrics["not_trained_reason"]
    assert run.data.params["caption_model.min_training_captions"] == "20"
    assert run.data.metrics["data.n_with_image_feature"] == 0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "caption_model")}
    assert "caption_model/caption_metrics.json" in artifacts
    assert "caption_model/caption_model.keras" not in artifacts
