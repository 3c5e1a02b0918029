"""Caption model page: metrics, samples and the MLflow runs side by side."""

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from insta_kedro.app.caption_model import (
    DATA_TAG,
    UnreadableStoreError,
    best_run_id,
    caption_runs,
    runs_side_by_side,
)
from tests.app.conftest import texts


@pytest.fixture
def tracked_runs(app_project: Path, monkeypatch) -> dict[str, str]:
    """Five runs of experiment insta_kedro, oldest first: caption_model runs on other posts
    (a tiny download) and with a vocabulary of almost only UNK (low but incomparable bpc),
    two comparable ones, and an ingestion run."""
    uri = f"sqlite:///{app_project / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("insta_kedro")
    ids = {}
    runs = (
        ("tiny", "2", 0.005, "b" * 64, "50"),
        ("all_unk", "30", 0.2, "a" * 64, "100000"),
        ("worse", "5", 3.4, "a" * 64, "50"),
        ("better", "30", 2.9, "a" * 64, "50"),
    )
    for started, (name, epochs, bpc, post_ids, min_count) in enumerate(runs):
        run = client.create_run(experiment, start_time=1_700_000_000_000 + started, run_name=name)
        client.log_param(run.info.run_id, "caption_model.epochs", epochs)
        client.log_param(run.info.run_id, "caption_model.architecture", "merge")
        client.log_param(run.info.run_id, "caption_model.min_char_count", min_count)
        client.set_tag(run.info.run_id, DATA_TAG, post_ids)
        client.log_metric(run.info.run_id, "test.bpc", bpc)
        if name != "tiny":
            client.log_metric(run.info.run_id, "test.unk_rate", 0.05)
        client.set_terminated(run.info.run_id)
        ids[name] = run.info.run_id
    other = client.create_run(experiment, run_name="ingestion")
    client.set_terminated(other.info.run_id)
    return ids


def test_runs_side_by_side_marks_the_lowest_bpc(app_project: Path, tracked_runs):
    runs = caption_runs(f"sqlite:///{app_project / 'mlflow.db'}")
    assert {r.info.run_id for r in runs} == set(tracked_runs.values())  # ingestion left out
    assert best_run_id(runs) == tracked_runs["better"]
    table = runs_side_by_side(runs)
    best_column = next(c for c in table.columns if c.startswith("★"))
    assert tracked_runs["better"][:8] in best_column
    assert table.loc["param caption_model.epochs", best_column] == "30"
    assert table.loc["param caption_model.epochs", "differs"] == "◆"
    assert table.loc["param caption_model.architecture", "differs"] == ""
    assert table.loc["tag data post_ids sha256", best_column] == "a" * 12
    tiny_column = next(c for c in table.columns if tracked_runs["tiny"][:8] in c)
    assert table.loc["metric test.unk_rate", tiny_column] == "—"  # not logged: no "nan"


def test_runs_side_by_side_say_which_run_resumed_an_interrupted_training(
    app_project: Path, tracked_runs
):
    """A resumed run trained only the epochs after the interruption: the table says so, or its
    training time would read as the whole training's."""
    client = mlflow.MlflowClient(f"sqlite:///{app_project / 'mlflow.db'}")
    client.set_tag(tracked_runs["better"], "caption_model.resumed_at_epoch", "27")
    client.set_tag(tracked_runs["worse"], "caption_model.reused_finished_training", "True")
    table = runs_side_by_side(caption_runs(f"sqlite:///{app_project / 'mlflow.db'}"))
    better = next(c for c in table.columns if tracked_runs["better"][:8] in c)
    worse = next(c for c in table.columns if tracked_runs["worse"][:8] in c)
    assert table.loc["tag resumed after epoch", better] == "27"
    assert table.loc["tag reused a finished training", worse] == "True"


def test_no_tracking_database_is_created(app_project: Path):
    assert caption_runs(f"sqlite:///{app_project / 'mlflow.db'}") is None
    assert not (app_project / "mlflow.db").exists()
    empty = app_project / "mlflow.db"
    empty.touch()  # an empty file is no store either: MLflow would make its tables in it
    assert caption_runs(f"sqlite:///{empty}") is None
    assert empty.stat().st_size == 0


def test_a_store_that_cannot_be_read_says_why(app_project: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # as the app sets it
    not_a_database = app_project / "mlflow.db"
    not_a_database.write_text("notes, not a database", encoding="utf-8")
    with pytest.raises(UnreadableStoreError, match="is not an SQLite database"):
        caption_runs(f"sqlite:///{not_a_database}")
    # nothing listens on port 9: refused at once, no minutes of retries
    with pytest.raises(UnreadableStoreError, match="MlflowException"):
        caption_runs("http://127.0.0.1:9")


def test_caption_model_page_with_an_unreadable_store(app_project: Path, run_page):
    (app_project / "mlflow.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    app = run_page("caption_model")
    assert not app.exception
    assert "The MLflow store cannot be read" in texts(app)


def test_caption_model_page_shows_no_password_of_the_tracking_uri(
    app_project: Path, run_page, monkeypatch: pytest.MonkeyPatch
):
    """A store whose URI holds a password (``http://user:password@host``,
    ``postgresql://user:password@host/db``) is named with the password written ``***``, in the
    page's caption and in the reason it cannot be read (MLflow's error names the whole URL)."""
    password = "Canary-db-pw-4417"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://alice:{password}@127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # as the app sets it
    app = run_page("caption_model")
    shown = texts(app)
    assert "The MLflow store cannot be read" in shown
    assert "http://alice:***@127.0.0.1:9" in shown
    assert password not in shown


def test_caption_model_page_without_outputs(app_project: Path, run_page):
    app = run_page("caption_model")
    shown = texts(app)
    assert "`caption_metrics` has not been made yet" in shown
    assert "kedro run --pipelines=caption_model" in shown
    assert not (app_project / "mlflow.db").exists()


def test_caption_model_page_with_outputs_and_runs(
    project_with_outputs: Path, tracked_runs, run_page
):
    app = run_page("caption_model")
    assert "random VGG16 weights" in texts(app)
    metrics = app.dataframe[0].value.set_index("metric")["value"]
    assert metrics["test bits per character"] == "3.250"
    samples = app.dataframe[2].value
    assert "a generated caption 0" in samples["generated_caption"].tolist()
    runs = app.dataframe[-1].value
    assert any(c.startswith("★") and tracked_runs["better"][:8] in c for c in runs.columns)
    assert tracked_runs["better"] in texts(app)


NOT_TRAINED_REASON = (
    "0 captioned post(s) with a usable image feature, fewer than "
    "caption_model.min_training_captions=20 (12 posts; 9 with a caption; 0 with a usable image "
    "feature; left out: image_feature_error: 12)"
)


def write_not_trained_outputs(project: Path) -> None:
    """The caption_model outputs of a run on a download without photos."""
    reporting = project / "data" / "08_reporting"
    (reporting / "caption_metrics.json").write_text(
        json.dumps(
            {
                "trained": False,
                "not_trained_reason": NOT_TRAINED_REASON,
                "min_training_captions": 20,
                "data": {"n_posts": 12, "n_captioned": 9, "n_with_image_feature": 0},
                "architecture": "merge",
            }
        )
    )
    pd.DataFrame(
        columns=["post_id", "real_caption", "generated_caption", "mean_log_prob", "decoder"]
    ).to_csv(reporting / "caption_samples.csv", index=False)
    pd.DataFrame(
        {
            "post_id": pd.Series([], dtype=str),
            "generated_caption": pd.Series([], dtype=str),
            "mean_log_prob": pd.Series([], dtype="float64"),
            "decoder": pd.Series([], dtype=str),
        }
    ).to_parquet(project / "data" / "07_model_output" / "generated_captions.parquet")


def test_caption_model_page_of_a_run_that_did_not_train(
    project_with_outputs: Path, tracked_runs, run_page
):
    write_not_trained_outputs(project_with_outputs)
    client = mlflow.MlflowClient(f"sqlite:///{project_with_outputs / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro").experiment_id
    run = client.create_run(experiment, start_time=1_800_000_000_000, run_name="no_photos")
    client.set_tag(run.info.run_id, "caption_model.trained", "False")
    client.set_tag(run.info.run_id, "caption_model.not_trained_reason", NOT_TRAINED_REASON)
    client.set_terminated(run.info.run_id)

    app = run_page("caption_model")
    shown = texts(app)
    assert f"Caption model not trained: {NOT_TRAINED_REASON}" in shown
    assert "Test metrics" not in shown and "Sample captions" not in shown
    runs = app.dataframe[-1].value
    newest = next(c for c in runs.columns if run.info.run_id[:8] in c)
    assert runs.loc["tag trained", newest] == "False"
    assert runs.loc["tag not trained because", newest] == NOT_TRAINED_REASON
    # the best run is still the best trained one: a run without bpc changes nothing
    assert any(c.startswith("★") and tracked_runs["better"][:8] in c for c in runs.columns)
