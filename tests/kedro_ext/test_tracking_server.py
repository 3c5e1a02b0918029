"""A tracking server that does not answer stops the run within seconds, saying so; one that
answers, and a SQLite store, let it go on; one that goes away during the run stops it after
one request's retries, and its run is marked KILLED once the server is back."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mlflow
import pytest
import requests

from insta_kedro.kedro_ext.run_liveness import KILLED_BECAUSE_TAG
from insta_kedro.kedro_ext.tracking_server import (
    TrackingServerError,
    anchored_tracking_uri,
    check_tracking_server,
    configured_tracking_uri,
    without_passwords,
)

PASSWORD = "Canary-db-pw-4417"


class _Health(BaseHTTPRequestHandler):
    """Answers every GET with 200, as ``mlflow server`` answers ``/health``."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def answering_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def refused_uri() -> str:
    """The URI of a local port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_uri() -> Iterator[str]:
    """The URI of a local port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_server_that_answers_passes(answering_server):
    check_tracking_server(answering_server)
    check_tracking_server(answering_server + "/")


@pytest.mark.parametrize("uri", ["sqlite:///mlflow.db", "file:///tmp/mlruns", "mlruns", ""])
def test_stores_that_are_no_server_are_not_checked(uri):
    check_tracking_server(uri)


def test_a_refused_connection_names_the_server_and_the_reason(refused_uri):
    with pytest.raises(TrackingServerError, match="does not answer") as raised:
        check_tracking_server(refused_uri)
    message = str(raised.value)
    assert refused_uri in message
    assert "Connection refused" in message
    assert "MLFLOW_TRACKING_URI" in message


def test_a_refused_server_is_named_without_its_password(refused_uri):
    """A URI with a password (``http://user:password@host``, as requests takes it) is named
    with the password written ``***``: the message ends in the log and on the terminal."""
    uri = refused_uri.replace("http://", f"http://alice:{PASSWORD}@")
    with pytest.raises(TrackingServerError, match="does not answer") as raised:
        check_tracking_server(uri)
    message = str(raised.value)
    assert PASSWORD not in message
    assert refused_uri.replace("http://", "http://alice:***@") in message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"https://alice:{PASSWORD}@mlflow.example.com", "https://alice:***@mlflow.example.com"),
        (
            f"postgresql+psycopg2://mlflow:{PASSWORD}@db:5432/mlflow?sslmode=require",
            "postgresql+psycopg2://mlflow:***@db:5432/mlflow?sslmode=require",
        ),
        (f"mysql://root:p@ss:{PASSWORD}@db/mlflow", "mysql://root:***@db/mlflow"),
        (
            f"API request to http://u:{PASSWORD}@h:5000/api/2.0/x failed (url: /api/2.0/x)",
            "API request to http://u:***@h:5000/api/2.0/x failed (url: /api/2.0/x)",
        ),
    ],
)
def test_without_passwords_hides_the_password_of_every_url(text, shown):
    assert without_passwords(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "sqlite:////home/me/project/mlflow.db",
        "http://127.0.0.1:5000",
        "https://token@mlflow.example.com/path",
        "http://host:5000/a:b@c",
        "no URL: a@b and c:d",
    ],
)
def test_without_passwords_leaves_text_without_a_password_alone(text):
    assert without_passwords(text) == text


def test_a_server_that_never_answers_fails_after_the_timeout(silent_uri):
    started = time.monotonic()
    with pytest.raises(TrackingServerError, match=r"no answer within 0.5 s"):
        check_tracking_server(silent_uri, timeout_s=0.5)
    assert time.monotonic() - started < 5


def test_the_uri_is_the_configured_one_else_the_environment(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://from-env:5000")
    assert configured_tracking_uri({"server": {"mlflow_tracking_uri": "http://conf:1"}}) == (
        "http://conf:1"
    )
    assert configured_tracking_uri({"server": {"mlflow_tracking_uri": None}}) == (
        "http://from-env:5000"
    )
    assert configured_tracking_uri({}) == "http://from-env:5000"


def test_a_kedro_run_with_a_server_down_stops_at_once(
    run_kedro, kedro_project, refused_uri, monkeypatch
):
    """MLflow would retry for minutes before failing; the run stops before any node."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", refused_uri)
    started = time.monotonic()
    with pytest.raises(TrackingServerError, match=refused_uri):
        run_kedro(["ingestion"])
    assert time.monotonic() - started < 30
    assert not (kedro_project / "data" / "02_intermediate" / "posts.parquet").exists()


class MlflowServer:
    """A real ``mlflow server`` on ``port`` with its store in ``folder``, started and stopped
    as a user does (SIGTERM to its process group)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.uri = folder, f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1",
            "--port", self.uri.rsplit(":", 1)[1], "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.folder / 'server.db'}",
            "--default-artifact-root", str(self.folder / "artifacts"),
        ]  # fmt: skip
        log = (self.folder / "server.log").open("a")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                requests.get(f"{self.uri}/health", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.5)
        self.stop()
        pytest.fail(f"mlflow server did not start: {(self.folder / 'server.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture
def mlflow_server(tmp_path, refused_uri) -> Iterator[MlflowServer]:
    folder = tmp_path / "mlflow_server"
    folder.mkdir()
    server = MlflowServer(folder, int(refused_uri.rsplit(":", 1)[1]))
    server.start()
    yield server
    server.stop()


RETRIES = 2  # MLflow's retries of a request (7 by default: about four minutes)


def test_a_run_whose_server_goes_away_stops_after_one_request_and_is_killed_later(
    mlflow_server, kedro_project, run_kedro, monkeypatch
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(RETRIES))
    # retried at once: the test counts the retries, their waits (2 s, 4 s, ...) add nothing
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0")
    log = kedro_project / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kedro", "run", "--pipelines=ingestion"],
            cwd=kedro_project,
            # COLUMNS: rich writes each log message on one line
            env={
                **os.environ,
                "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
                "COLUMNS": "1000",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.uri)
    deadline = time.monotonic() + 180
    while "Running node" not in log.read_text():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)
    experiment = client.get_experiment_by_name("insta_kedro")
    (lost,) = client.search_runs([experiment.experiment_id])
    mlflow_server.stop()

    assert process.wait(timeout=300) != 0
    output = log.read_text()
    # the request of the moment is retried; the error's path (ending the run, the exit
    # handlers) is not, each for as long again
    assert output.count("Retrying (Retry(") <= RETRIES, output[-5000:]
    assert "Exception ignored in atexit" not in output
    assert f"MLflow run {lost.info.run_id} stays RUNNING" in output

    mlflow_server.start()
    assert client.get_run(lost.info.run_id).info.status == "RUNNING"
    run_kedro(["ingestion"])
    run = client.get_run(lost.info.run_id)
    assert run.info.status == "KILLED"
    assert KILLED_BECAUSE_TAG in run.data.tags


def test_a_relative_sqlite_store_is_anchored_to_the_project(tmp_path):
    assert anchored_tracking_uri("sqlite:///mlflow.db", tmp_path) == (
        f"sqlite:///{tmp_path}/mlflow.db"
    )
    assert anchored_tracking_uri("sqlite:///runs/m.db", tmp_path) == (
        f"sqlite:///{tmp_path}/runs/m.db"
    )
    for uri in ("sqlite:////data/mlflow.db", "http://127.0.0.1:5000", "databricks"):
        assert anchored_tracking_uri(uri, tmp_path) == uri
