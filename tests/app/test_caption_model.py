"""Caption model page: metrics, samples and the MLflow runs side by side."""

from pathlib import Path

import mlflow
import pytest

from insta_kedro.app.caption_model import best_run_id, caption_runs, runs_side_by_side
from tests.app.conftest import texts


@pytest.fixture
def tracked_runs(app_project: Path, monkeypatch) -> dict[str, str]:
    """Three runs of experiment insta_kedro: two caption_model runs, one ingestion run."""
    uri = f"sqlite:///{app_project / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("insta_kedro")
    ids = {}
    for name, epochs, bpc in (("worse", "5", 3.4), ("better", "30", 2.9)):
        run = client.create_run(experiment, run_name=name)
        client.log_param(run.info.run_id, "caption_model.epochs", epochs)
        client.log_param(run.info.run_id, "caption_model.architecture", "merge")
        client.log_metric(run.info.run_id, "test.bpc", bpc)
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


def test_no_tracking_database_is_created(app_project: Path):
    assert caption_runs(f"sqlite:///{app_project / 'mlflow.db'}") is None
    assert not (app_project / "mlflow.db").exists()


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
