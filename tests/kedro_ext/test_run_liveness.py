"""An MLflow run whose process died without ending it (SIGKILL, out of memory, power lost) is
marked KILLED by the next ``kedro run``; a run whose process lives, or that ran on another
host or in another store, is left alone."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import mlflow

import insta_kedro
from insta_kedro.kedro_ext.run_liveness import (
    KILLED_BECAUSE_TAG,
    RUNS_FOLDER,
    end_abandoned_runs,
)
from tests.killing import kill

SOURCE = Path(insta_kedro.__file__).parents[1]  # the package under test, for a subprocess


def subprocess_env(uri: str) -> dict[str, str]:
    """This process's environment with ``uri`` as the only MLflow setting and the package
    under test first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return {**env, "MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(SOURCE)}


def wait_for_a_node(client: mlflow.MlflowClient, process: subprocess.Popen, log: Path):
    """The run of experiment ``insta_kedro`` once ``process``, a ``kedro run`` writing to
    ``log``, runs a node (failing when ``process`` ends first or after 180 s)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if "Running node" in log.read_text():
            experiment = client.get_experiment_by_name("insta_kedro")
            (run,) = client.search_runs([experiment.experiment_id])
            return run
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no node ran; the log:\n{log.read_text()[-3000:]}")


def test_a_kedro_run_killed_with_sigkill_is_marked_killed_by_the_next_run(kedro_project, run_kedro):
    uri = os.environ["MLFLOW_TRACKING_URI"]
    client = mlflow.MlflowClient(tracking_uri=uri)
    log = kedro_project / "killed_run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kedro", "run", "--pipelines=ingestion"],
            cwd=kedro_project,
            env=subprocess_env(uri),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    killed = wait_for_a_node(client, process, log)
    kill(process)  # kill -9: no exit handler runs
    assert client.get_run(killed.info.run_id).info.status == "RUNNING"

    run_kedro(["ingestion"])

    run = client.get_run(killed.info.run_id)
    assert run.info.status == "KILLED"
    assert f"pid {process.pid}" in run.data.tags[KILLED_BECAUSE_TAG]
    assert killed.info.start_time <= run.info.end_time <= time.time() * 1000
    runs = {r.info.status: r.info.run_id for r in client.search_runs([run.info.experiment_id])}
    assert sorted(runs) == ["FINISHED", "KILLED"]
    # the killed run's lock file is removed; the finished run's stays, let go of
    lock_files = list((kedro_project / RUNS_FOLDER).iterdir())
    assert lock_files == [kedro_project / RUNS_FOLDER / f"{runs['FINISHED']}.lock"]
    assert end_abandoned_runs(kedro_project / RUNS_FOLDER, client, uri) == []
    assert not list((kedro_project / RUNS_FOLDER).iterdir())


# A process that opens a run and holds its lock, as a `kedro run` does, until it is killed.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import mlflow
    from insta_kedro.kedro_ext.run_liveness import lock_run

    run = mlflow.start_run()
    lock_run(Path(sys.argv[1]), run.info.run_id, mlflow.get_tracking_uri())
    print(run.info.run_id, flush=True)
    time.sleep(600)
    """
)


def test_a_run_is_marked_killed_only_once_its_process_is_gone(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    folder = tmp_path / RUNS_FOLDER
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        cwd=tmp_path,
        env=subprocess_env(uri),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = holder.stdout.readline().strip()
        client = mlflow.MlflowClient(tracking_uri=uri)

        assert end_abandoned_runs(folder, client, uri) == []  # its process lives
        assert client.get_run(run_id).info.status == "RUNNING"
        assert (folder / f"{run_id}.lock").exists()

        kill(holder)
        assert end_abandoned_runs(folder, client, uri) == [run_id]
        assert client.get_run(run_id).info.status == "KILLED"
        assert not (folder / f"{run_id}.lock").exists()
        assert end_abandoned_runs(folder, client, uri) == []
    finally:
        if holder.poll() is None:
            holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()


def test_a_run_of_another_host_or_store_is_left_alone(tmp_path):
    """A lock file that no process holds, but that names another host (a project folder shared
    over a network file system, whose locks may not reach this host) or another tracking
    store: its run may be alive, or is not in this store."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment("insta_kedro")
    folder = tmp_path / RUNS_FOLDER
    folder.mkdir()
    owners = {
        "elsewhere": {"host": "another-host", "tracking_uri": uri},
        "other_store": {"host": socket.gethostname(), "tracking_uri": "http://127.0.0.1:5000"},
    }
    for name, owner in owners.items():
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        record = {"run_id": run_id, "pid": 1, **owner}
        (folder / f"{run_id}.lock").write_text(json.dumps(record), encoding="utf-8")

    assert end_abandoned_runs(folder, client, uri) == []
    runs = client.search_runs([experiment_id])
    assert [run.info.status for run in runs] == ["RUNNING", "RUNNING"]
    assert len(list(folder.glob("*.lock"))) == 2


def test_a_project_folder_that_cannot_be_written_to_leaves_the_run_unlocked(
    kedro_project, run_kedro, caplog
):
    (kedro_project / RUNS_FOLDER).write_text("a file, not a folder", encoding="utf-8")
    run_kedro(["ingestion"])  # runs all the same
    assert "is not locked" in caplog.text
