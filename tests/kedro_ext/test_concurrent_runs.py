"""Two processes logging to one MLflow SQLite store at once, as two ``kedro run`` do with the
project's default tracking URI (``sqlite:///mlflow.db``): both runs are stored whole."""

import os
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest

STEPS = 20

# argv: tracking URI, the run's name, the folder where both meet, the steps to log, and
# "meet-before-creating" to have both look the experiment up before either creates it.
WORKER = """
import sys, time
from pathlib import Path

import mlflow
from mlflow.tracking._tracking_service.client import TrackingServiceClient

uri, name, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])


def meet(point):
    (folder / f"{name}.{point}").touch()
    deadline = time.monotonic() + 60
    while len(list(folder.glob(f"*.{point}"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)


if sys.argv[5] == "meet-before-creating":
    create_experiment = TrackingServiceClient.create_experiment

    def create_with_the_other(self, *args, **kwargs):
        meet("create")
        return create_experiment(self, *args, **kwargs)

    TrackingServiceClient.create_experiment = create_with_the_other
meet("start")
mlflow.set_tracking_uri(uri)
mlflow.set_experiment("concurrent")
with mlflow.start_run(run_name=name):
    mlflow.log_params({"run": name, "learning_rate": 0.01})
    for step in range(1, int(sys.argv[4]) + 1):
        mlflow.log_metrics({"loss": 1 / step, "val_loss": 2 / step}, step=step)
    mlflow.set_tag("logged_every_step", "true")
"""


def log_two_runs_at_once(tmp_path: Path, uri: str, mode: str = "") -> None:
    """Run two ``WORKER`` processes, ``a`` and ``b``, that start logging at the same moment
    (``mode``: its last argument); fail with a process's output when it does not succeed."""
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, uri, name, str(tmp_path), str(STEPS), mode],
            cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
            stdout=(tmp_path / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name in ("a", "b")
    }
    started = time.monotonic()
    for name, run in runs.items():
        assert run.wait(timeout=120) == 0, (tmp_path / f"{name}.log").read_text()[-3000:]
    assert time.monotonic() - started < 120


def assert_both_runs_stored(uri: str) -> None:
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("concurrent")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.data.params["run"] for run in runs) == ["a", "b"]
    for run in runs:
        assert run.info.status == "FINISHED"
        assert run.data.tags["logged_every_step"] == "true"
        for metric in ("loss", "val_loss"):
            history = client.get_metric_history(run.info.run_id, metric)
            assert sorted(m.step for m in history) == list(range(1, STEPS + 1))


def test_two_runs_log_to_one_sqlite_store_at_once(tmp_path):
    # the store as after a first run: its tables and the experiment exist
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.MlflowClient(tracking_uri=uri).create_experiment("concurrent")
    log_two_runs_at_once(tmp_path, uri)
    assert_both_runs_stored(uri)


@pytest.mark.xfail(
    reason="mlflow.set_experiment: of two processes that create the experiment at once, the "
    "one whose creation fails returns without making it active, so its run goes to the "
    "Default experiment (kedro-mlflow creates it with create_experiment: that one fails)",
    # Not strict: on a loaded machine the two processes can miss each other, and then both
    # runs are stored (seen with the suite on 2 cores under pytest -n 2).
    strict=False,
)
def test_two_runs_create_one_experiment_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.MlflowClient(tracking_uri=uri).search_experiments()  # the tables, no experiment
    log_two_runs_at_once(tmp_path, uri, "meet-before-creating")
    assert_both_runs_stored(uri)


@pytest.mark.xfail(
    reason="MLflow makes a new SQLite store's tables without a lock: of two processes that "
    "open a store that does not exist yet, one fails ('table ... already exists')",
    strict=False,
)
def test_two_runs_create_one_sqlite_store_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    log_two_runs_at_once(tmp_path, uri)
    assert_both_runs_stored(uri)


def test_two_kedro_runs_start_at_once_on_a_new_store(kedro_project, monkeypatch):
    """A user's first two ``kedro run`` in two terminals open the new store at once (MLflow
    creates a SQLite store's tables without a lock: one run failed with "duplicate column
    name" or "Online migration expected to match one row"). The second, text_features, then
    stops for want of posts, as it should, or (when the first wrote them before it looked)
    runs on them; each run that went through is stored."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # the project's default, sqlite:///mlflow.db
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    logs = {
        pipeline: kedro_project / f"{pipeline}.log" for pipeline in ("ingestion", "text_features")
    }
    runs = {
        pipeline: subprocess.Popen(
            [sys.executable, "-m", "kedro", "run", f"--pipelines={pipeline}"],
            cwd=kedro_project,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for pipeline, log in logs.items()
    }
    returncodes = {pipeline: run.wait(timeout=300) for pipeline, run in runs.items()}
    output = {pipeline: log.read_text() for pipeline, log in logs.items()}

    assert returncodes["ingestion"] == 0, output["ingestion"][-3000:]
    went_through = {pipeline for pipeline, code in returncodes.items() if code == 0}
    if "text_features" not in went_through:
        assert "MissingInputError" in output["text_features"], output["text_features"][-3000:]
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro")
    stored = client.search_runs([experiment.experiment_id])
    assert {run.info.run_name for run in stored} == went_through
    assert {run.info.status for run in stored} == {"FINISHED"}
