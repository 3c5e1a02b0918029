"""The Instagram login reaches the pipeline as a dataset, never as a parameter."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
from kedro.io import DataCatalog

import insta_kedro
from insta_kedro.kedro_ext.hooks import (
    INSTAGRAM_LOGIN_DATASET,
    InstagramCredentialsHook,
    MlflowRunClosingHook,
    instagram_login_from_credentials,
)


def test_no_credentials_means_no_login():
    assert instagram_login_from_credentials({}) is None
    assert instagram_login_from_credentials({"instagram": {"username": ""}}) is None


def test_login_keeps_the_password_out_of_its_repr():
    login = instagram_login_from_credentials(
        {"instagram": {"username": "me", "session_file": "/tmp/s", "password": "hunter2"}}
    )
    assert login.username == "me"
    assert login.session_file == "/tmp/s"
    assert login.password == "hunter2"
    assert "hunter2" not in repr(login)


def test_hook_registers_the_login_dataset():
    catalog = DataCatalog()
    InstagramCredentialsHook().after_catalog_created(
        catalog=catalog, conf_creds={"instagram": {"username": "me"}}
    )
    assert catalog.load(INSTAGRAM_LOGIN_DATASET).username == "me"


def test_a_kedro_run_is_one_closed_mlflow_run(run_kedro, kedro_project, shared_instagram_dl):
    import mlflow

    params = {"ingestion": {"source": "folder", "folder": str(shared_instagram_dl)}}
    run_kedro(["ingestion"], params)
    assert mlflow.active_run() is None
    run_kedro(["ingestion"], params)
    assert mlflow.active_run() is None

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert runs[0].data.params["ingestion.source"] == "folder"
    assert "password" not in " ".join(runs[0].data.params)


def test_a_run_still_open_at_exit_was_interrupted_and_ends_killed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    hook = MlflowRunClosingHook()
    hook.before_pipeline_run()
    run = mlflow.start_run()  # as kedro-mlflow opens it; then Ctrl-C stops the pipeline
    hook.end_interrupted_run()  # what the exit handler does
    assert mlflow.active_run() is None
    assert mlflow.MlflowClient().get_run(run.info.run_id).info.status == "KILLED"
    hook.after_pipeline_run()  # nothing left to end; the exit handler is unregistered


SOURCE = Path(insta_kedro.__file__).parents[1]  # the package under test, for a subprocess
TERMINATED_RUN = textwrap.dedent(
    """
    import os, signal, sys, time
    import mlflow
    from insta_kedro.kedro_ext.hooks import MlflowRunClosingHook

    hook = MlflowRunClosingHook()
    hook.before_pipeline_run()
    run = mlflow.start_run()  # as kedro-mlflow opens it; then the process is sent SIGTERM
    print(run.info.run_id, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)  # a node still running
    """
)


def test_a_run_stopped_by_sigterm_ends_killed(tmp_path):
    """``kill``, ``timeout``, a container or a scheduler stop a run with SIGTERM: the process
    exits with SIGTERM's status and its MLflow run ends as KILLED, not RUNNING for ever."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    done = subprocess.run(
        [sys.executable, "-c", TERMINATED_RUN],
        check=False,
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
            "MLFLOW_TRACKING_URI": uri,
            "PYTHONPATH": str(SOURCE),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    run_id = done.stdout.split()[0]
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).info.status == "KILLED"


def test_sigterm_gets_back_its_action_when_the_pipeline_ends(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    before = signal.getsignal(signal.SIGTERM)
    for end in ("after_pipeline_run", "on_pipeline_error"):
        hook = MlflowRunClosingHook()
        hook.before_pipeline_run()
        assert signal.getsignal(signal.SIGTERM) is not before
        getattr(hook, end)()
        assert signal.getsignal(signal.SIGTERM) is before


def test_the_dask_clients_of_a_run_are_closed_when_it_ends(monkeypatch):
    from insta_kedro.engine import dask_client
    from insta_kedro.engine import engine as engine_module
    from insta_kedro.kedro_ext import DaskClientClosingHook

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    client = dask_client(None)  # a LocalCluster, as a run with engine.name=dask starts
    cluster = client.cluster
    DaskClientClosingHook().on_pipeline_error()
    assert client.status == "closed" and cluster.status.name == "closed"
    assert not engine_module._clients
    DaskClientClosingHook().after_pipeline_run()  # nothing left to close
