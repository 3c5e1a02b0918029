"""Stop a run at once, and say why, when its MLflow tracking server does not answer.

With ``MLFLOW_TRACKING_URI`` (or ``server.mlflow_tracking_uri`` of ``mlflow.yml``) naming a
server that is down, kedro-mlflow's first request is retried by MLflow for about four minutes,
silently, and the run then ends in a traceback of several hundred lines.
:class:`TrackingServerCheckHook` asks the server once, before kedro-mlflow does, and stops the
run within seconds with a message that names the server and what to do.

A tracking URI may hold a password (``https://user:password@host``,
``postgresql://user:password@host/db``): every message that names the URI or echoes a URL of
it shows it through :func:`without_passwords`.
"""

import os
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

TIMEOUT_S = 10.0
"""Seconds the server has to answer."""


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
    """Checks, before kedro-mlflow's first request, that the run's tracking server answers."""

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
