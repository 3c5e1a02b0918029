"""Stop a run at once, and say why, when its MLflow tracking server does not answer.

With ``MLFLOW_TRACKING_URI`` (or ``server.mlflow_tracking_uri`` of ``mlflow.yml``) naming a
server that is down, kedro-mlflow's first request is retried by MLflow for about four minutes,
silently, and the run then ends in a traceback of several hundred lines.
:class:`TrackingServerCheckHook` asks the server once, before kedro-mlflow does, and stops the
run within seconds with a message that names the server and what to do.

A server that goes away during the run makes the request of the moment fail after MLflow's
retries (about four minutes), and each request of the error's path (kedro-mlflow ending the
run as FAILED, the exit handlers) retried as long again: the run ended a quarter of an hour
after the server stopped. :meth:`TrackingServerCheckHook.on_pipeline_error` asks the server
once before that path; when it does not answer, MLflow's retries are turned off for the rest of
the process (``MLFLOW_HTTP_REQUEST_MAX_RETRIES=0``) and the user is told what became of the
run (its run stays ``RUNNING`` in the store; ``kedro_ext.run_liveness`` marks it ``KILLED``
at a later run, with the server back).

A relative SQLite store (``sqlite:///mlflow.db``, the default) is a path from the working
folder for MLflow, and kedro-mlflow leaves it so: a ``kedro run`` started in a sub-folder of
the project (Kedro finds the project from there) logged to a new ``mlflow.db`` in that
sub-folder, where neither ``make mlflow-ui`` nor the web app look. :class:`ProjectStoreHook`
anchors it to the project folder, as the web app does (:func:`anchored_tracking_uri`), and
has an experiment created in a local SQLite store keep its artifacts in the project's
``mlruns`` folder (MLflow takes ``./mlruns`` of the working folder), unless ``mlflow.yml``
names its ``artifact_location``. It also makes two runs that start at once on a new SQLite
store create its tables and the experiment one after the other (:func:`store_creation_lock`).

A tracking URI may hold a password (``https://user:password@host``,
``postgresql://user:password@host/db``): every message that names the URI or echoes a URL of
it shows it through :func:`without_passwords`.
"""

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

try:
    import fcntl
except ImportError:  # Windows: no lock
    fcntl = None

logger = logging.getLogger(__name__)

TIMEOUT_S = 10.0
"""Seconds the server has to answer."""

NO_RETRIES = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
"""MLflow's request settings once its server is gone: one attempt of at most 10 s each."""


# ``scheme://user:password@``: the password runs to the last "@" before the host's end
_URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/?#@]*):[^\s/?#]*@", re.IGNORECASE)


def without_passwords(text: str) -> str:
    """``text`` with the password of every URL in it written ``***``.

    Takes any text: a tracking URI, or a message that echoes one (MLflow's request errors name
    the whole URL). Returns it with each ``scheme://user:password@`` made
    ``scheme://user:***@``; the rest is left as it is.
    """
    return _URL_PASSWORD.sub(r"\1:***@", text)


class TrackingServerError(RuntimeError):
    """The MLflow tracking server of the run does not answer."""


def configured_tracking_uri(mlflow_conf: dict[str, Any]) -> str:
    """The tracking URI kedro-mlflow uses for ``mlflow_conf`` (the ``mlflow`` configuration):
    its ``server.mlflow_tracking_uri``, else ``MLFLOW_TRACKING_URI``, else ``""``."""
    server = (mlflow_conf or {}).get("server") or {}
    return server.get("mlflow_tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI", "")


SQLITE = "sqlite:///"


def sqlite_file(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (None for other stores)."""
    if not tracking_uri.startswith(SQLITE):  # then a relative path, or "/" and an absolute one
        return None
    return Path(tracking_uri.removeprefix(SQLITE).split("?")[0])


def anchored_tracking_uri(uri: str, project_path: Path) -> str:
    """``uri`` with a relative SQLite path (``sqlite:///mlflow.db``) made absolute from
    ``project_path``; any other URI (an absolute SQLite path, a server) as it is."""
    database = sqlite_file(uri)
    if database is None or database.is_absolute():
        return uri
    return f"{SQLITE}{Path(project_path).absolute() / uri.removeprefix(SQLITE)}"


@contextmanager
def store_creation_lock(database: Path | None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``<database>.lock`` (a SQLite store's file) while the
    block runs, so that two runs starting at once create its tables and the experiment one
    after the other; nothing for other stores, a folder that does not exist, or without
    ``fcntl``."""
    if fcntl is None or database is None or not database.parent.is_dir():
        yield
        return
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def check_tracking_server(uri: str, timeout_s: float = TIMEOUT_S) -> None:
    """Raise :class:`TrackingServerError` when ``uri``, an ``http(s)://`` tracking URI, gets no
    answer within ``timeout_s`` seconds (a refused or failed connection, a timeout).

    Any HTTP answer, an error status or a TLS handshake included, means the server is there:
    MLflow itself then reports what is wrong. Other stores (SQLite, a folder) are not checked.
    """
    if urlsplit(uri).scheme not in ("http", "https"):
        return
    try:
        requests.get(f"{uri.rstrip('/')}/health", timeout=timeout_s)
    except requests.exceptions.SSLError:
        return
    except (requests.ConnectionError, requests.Timeout) as error:
        message = (
            f"The MLflow tracking server {uri} does not answer ({_reason(error, timeout_s)}):"
            " start it, or set MLFLOW_TRACKING_URI to one that answers; without"
            " MLFLOW_TRACKING_URI runs are tracked in sqlite:///mlflow.db."
        )
        raise TrackingServerError(without_passwords(message)) from None


def _reason(error: Exception, timeout_s: float) -> str:
    """A short reason for ``error``, a failed request: its innermost cause's message."""
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout_s:g} s"
    cause = error.args[0] if error.args else error
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the reason
    return str(cause).rsplit(": ", 1)[-1]


class TrackingServerCheckHook:
    """Checks, before kedro-mlflow's first request, that the run's tracking server answers;
    and, when the run fails, whether it still does (else turns MLflow's retries off)."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        import mlflow

        if mlflow.active_run():  # an orchestrator opened the run: its server answered
            return
        try:
            mlflow_conf = context.config_loader["mlflow"]
        except (KeyError, MissingConfigException):
            mlflow_conf = {}
        check_tracking_server(configured_tracking_uri(mlflow_conf))

    @hook_impl(wrapper=True)  # before every other hook of the failed run asks the server
    def on_pipeline_error(self) -> Any:
        import mlflow

        run = mlflow.active_run()
        try:
            check_tracking_server(mlflow.get_tracking_uri())
        except TrackingServerError as error:
            stop_retrying(error, run.info.run_id if run else None)
        return (yield)


def stop_retrying(error: TrackingServerError, run_id: str | None) -> None:
    """Turn MLflow's request retries off for the rest of the process (:data:`NO_RETRIES`)
    and log ``error``, the tracking server lost during run ``run_id``, with what becomes of
    the run."""
    os.environ.update(NO_RETRIES)
    logger.error(
        "%s The run stopped: MLflow run %s stays RUNNING in that store until a later"
        " `kedro run` of this project on this host, with the server answering, marks it"
        " KILLED; MLflow requests of this process are no longer retried.",
        error,
        run_id,
    )


class ProjectStoreHook:
    """Anchors a relative SQLite tracking store of ``mlflow.yml`` (or ``MLFLOW_TRACKING_URI``)
    and the artifacts of an experiment it creates to the project folder, before kedro-mlflow
    reads the configuration, whatever the working folder."""

    @hook_impl(wrapper=True)  # around kedro-mlflow's, which opens the store
    def after_context_created(self, context: Any) -> Any:
        try:
            mlflow_conf = context.config_loader["mlflow"]
        except (KeyError, MissingConfigException):
            return (yield)
        anchored = project_store_conf(mlflow_conf, context.project_path)
        if anchored != mlflow_conf:
            # a key set on the loader is handed back as it is, not read again from conf/
            context.config_loader["mlflow"] = anchored
        # MLflow creates a new SQLite store's tables, and kedro-mlflow the experiment,
        # without a lock: of two runs starting at once on a new store, one failed
        # ("duplicate column name", "Online migration expected to match one row").
        with store_creation_lock(sqlite_file(configured_tracking_uri(anchored))):
            return (yield)


def project_store_conf(mlflow_conf: dict[str, Any], project_path: Path) -> dict[str, Any]:
    """``mlflow_conf`` (the ``mlflow`` configuration) with its tracking URI anchored to
    ``project_path`` (:func:`anchored_tracking_uri`) and, for a SQLite store, the artifact
    location of a new experiment set to the project's ``mlruns`` folder where it is not set;
    the same dict when nothing changes."""
    uri = configured_tracking_uri(mlflow_conf)
    anchored = anchored_tracking_uri(uri, project_path)
    if not anchored.startswith(SQLITE):
        return mlflow_conf
    tracking = mlflow_conf.get("tracking") or {}
    experiment = tracking.get("experiment") or {}
    kwargs = experiment.get("create_experiment_kwargs") or {}
    if anchored == uri and kwargs.get("artifact_location"):
        return mlflow_conf
    kwargs = {**kwargs, "artifact_location": kwargs.get("artifact_location") or "mlruns"}
    experiment = {**experiment, "create_experiment_kwargs": kwargs}
    server = {**(mlflow_conf.get("server") or {}), "mlflow_tracking_uri": anchored}
    return {**mlflow_conf, "server": server, "tracking": {**tracking, "experiment": experiment}}
