"""Kedro hooks: the Instagram login for ingestion, MLflow run bookkeeping, and the Dask
clients a run opened.

The login comes from ``conf/local/credentials.yml`` (key ``instagram``) and
reaches the pipeline as the in-memory dataset ``instagram_login``. It is never
a parameter, so kedro-mlflow never logs it, and its password is kept out of
every repr and log line.
"""

import atexit
import logging
import signal
import threading
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset

from insta_kedro.ingestion import InstagramLogin

logger = logging.getLogger(__name__)

INSTAGRAM_LOGIN_DATASET = "instagram_login"


def instagram_login_from_credentials(conf_creds: dict[str, Any]) -> InstagramLogin | None:
    """Build the login from the ``instagram`` credentials entry, or None when absent."""
    entry = (conf_creds or {}).get("instagram") or {}
    username = entry.get("username")
    if not username:
        return None
    return InstagramLogin(
        username=str(username),
        session_file=entry.get("session_file"),
        password=entry.get("password"),
    )


class InstagramCredentialsHook:
    """Registers ``instagram_login`` in the catalog once it is created."""

    @hook_impl
    def after_catalog_created(self, catalog: Any, conf_creds: dict[str, Any]) -> None:
        login = instagram_login_from_credentials(conf_creds)
        catalog[INSTAGRAM_LOGIN_DATASET] = MemoryDataset(login, copy_mode="assign")


class MlflowRunClosingHook:
    """Closes the MLflow run a pipeline opened, however many times it was re-entered.

    kedro-mlflow re-enters its run before every node (``start_run(run_id=...)``)
    and ends it once after the pipeline; with MLflow 3 each re-entry stacks the
    run again, so the run would stay active after ``session.run`` returns and the
    next session in the same process (tests, notebooks, the web app) would log
    into it. This hook runs after kedro-mlflow's and ends what is left, leaving
    alone any run that was already active before the pipeline started.

    A run stopped by Ctrl-C or by SIGTERM (``kill``, ``timeout``, a container or a scheduler
    stopping its task) ends as KILLED: while the pipeline runs, SIGTERM exits the process as
    ``sys.exit`` does (status 143), so that the exit handlers run, unless something else
    handles SIGTERM already.
    """

    def __init__(self) -> None:
        self._run_active_before: str | None = None
        self._sigterm_before: Any = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self) -> None:
        import mlflow  # when a pipeline runs, not when Kedro reads the settings

        active = mlflow.active_run()
        self._run_active_before = active.info.run_id if active else None
        # Ctrl-C is no Exception: Kedro calls no error hook and MLflow's own exit handler
        # would end the run as FINISHED. This one, registered later, runs first.
        atexit.register(self.end_interrupted_run)
        # SIGTERM's default action ends the process without any exit handler: the run would
        # stay RUNNING in MLflow for ever.
        self._exit_on_sigterm()

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        self._end_runs_opened_by_the_pipeline("FINISHED")
        self._restore_sigterm()

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._end_runs_opened_by_the_pipeline("FAILED")
        self._restore_sigterm()

    def _exit_on_sigterm(self) -> None:
        """Make SIGTERM raise ``SystemExit(143)`` while the pipeline runs, where this is the
        main thread and SIGTERM has its default action (else it is someone else's)."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        self._sigterm_before = signal.signal(signal.SIGTERM, exit_on_sigterm)

    def _restore_sigterm(self) -> None:
        """Give SIGTERM back the action it had before the pipeline started."""
        if self._sigterm_before is not None:
            if signal.getsignal(signal.SIGTERM) is exit_on_sigterm:
                signal.signal(signal.SIGTERM, self._sigterm_before)
            self._sigterm_before = None

    def end_interrupted_run(self) -> None:
        """At exit, a run the pipeline left open was interrupted: it ends as KILLED. A store
        that cannot be reached (its server went away) is logged, not raised: the run stays
        RUNNING there (``run_liveness`` marks it KILLED at a later run)."""
        from mlflow.exceptions import MlflowException

        try:
            self._end_runs_opened_by_the_pipeline("KILLED")
        except MlflowException as error:
            logger.warning("The interrupted MLflow run could not be ended as KILLED: %s", error)

    def _end_runs_opened_by_the_pipeline(self, status: str) -> None:
        """End every run opened since ``before_pipeline_run`` with ``status`` (an MLflow
        run status name: FINISHED, FAILED or KILLED)."""
        import mlflow

        if status != "KILLED":
            atexit.unregister(self.end_interrupted_run)
        while (active := mlflow.active_run()) and active.info.run_id != self._run_active_before:
            mlflow.end_run(status)


def exit_on_sigterm(signum: int, frame: Any) -> None:
    """A signal handler that exits as ``sys.exit`` does, with the status of the signal
    (128 + its number: 143 for SIGTERM), so that the exit handlers run."""
    raise SystemExit(128 + signum)


class DaskClientClosingHook:
    """Closes the Dask clients a run opened (``insta_kedro.engine``), and the LocalCluster it
    started, when the pipeline ends, fails or not; a run that used no cluster has none."""

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        self._close()

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._close()

    @staticmethod
    def _close() -> None:
        from insta_kedro.engine import close_clients

        close_clients()
