"""MLflow runs whose process died without ending them are marked KILLED by the next run.

A ``kedro run`` killed with SIGKILL (``kill -9``, the OOM killer) or stopped by the machine
losing power cannot end its MLflow run: the run stays ``RUNNING`` for ever, and the MLflow UI
shows it as still in progress. A run is ``RUNNING`` whether its process works or is gone, so
the store alone cannot tell them apart; a lock held by the process can.

While a pipeline runs, :class:`RunLivenessHook` holds an exclusive ``flock`` on a file
``.mlflow_runs/<run id>.lock`` in the project folder. It lets go of the lock once the run
ended, and the operating system releases it when the process ends, however it ends (a reboot
clears it too). At the start of every run, the hook looks at the lock files left there: a
file whose lock it can take belongs to a run whose process ended it or no longer exists; when
that process ran on this host and its run is still ``RUNNING`` in the run's tracking store,
the run is set to ``KILLED`` (ending at the last node its process started) and tagged
``insta_kedro.killed_because``, and the user is told; the file is removed. A run whose ending
could not be stored (its tracking server went away) is thus marked once the server is back.
A run whose lock is held, a lock file of another host (a project folder shared over a network
file system whose locks may not reach other hosts), of another tracking store, and a run
without a lock file (started elsewhere, before this hook, or killed in the moment between
kedro-mlflow starting it and this hook locking it) are left alone.

POSIX only (``fcntl``); elsewhere runs are neither locked nor marked.
"""

import json
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from insta_kedro.kedro_ext.tracking_server import without_passwords

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

logger = logging.getLogger(__name__)

RUNS_FOLDER = ".mlflow_runs"
"""The folder of the project that holds the lock file of each MLflow run of its processes,
until a later run finds it ended."""

KILLED_BECAUSE_TAG = "insta_kedro.killed_because"


@dataclass
class RunLock:
    """The lock a process holds on its run's file while the run is in progress."""

    path: Path
    fd: int

    def touch(self) -> None:
        """Record now as the run's last sign of life (the lock file's modification time)."""
        os.utime(self.fd)

    def release(self) -> None:
        """Let go of the lock (once; later calls do nothing). The file stays: the next run
        removes it once the store says the run ended, or marks the run KILLED."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def lock_run(folder: Path, run_id: str, tracking_uri: str) -> RunLock | None:
    """Create ``folder/<run_id>.lock``, already locked, naming this host, this process and
    ``tracking_uri`` (its password left out); None where ``fcntl`` is missing.

    The file is written and locked under a temporary name and then renamed into place, so
    that no other process ever sees it unlocked while this one lives.
    """
    if fcntl is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.lock"
    temporary = folder / f".{run_id}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    owner = {
        "run_id": run_id,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "tracking_uri": without_passwords(tracking_uri),
    }
    os.write(fd, json.dumps(owner).encode("utf-8"))
    os.replace(temporary, path)
    return RunLock(path, fd)


def _take_abandoned(path: Path) -> int | None:
    """An open descriptor holding the lock of ``path`` when no process holds it and ``path``
    is still that file (not removed meanwhile by its owner); else None."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino == path.stat().st_ino:
            return fd
    except OSError:  # held by a live process, or removed since it was opened
        pass
    os.close(fd)
    return None


def _read_owner(fd: int) -> dict[str, Any] | None:
    """The JSON record of the lock file open as ``fd``, or None when it cannot be read."""
    try:
        text = os.pread(fd, 1 << 16, 0).decode("utf-8")
        owner = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return owner if isinstance(owner, dict) and owner.get("run_id") else None


def end_abandoned_runs(folder: Path, client: Any, tracking_uri: str) -> list[str]:
    """Set to ``KILLED`` every run of ``client`` (an ``mlflow.MlflowClient`` on
    ``tracking_uri``) that a lock file of ``folder`` names, whose process let go of the lock
    or is gone, that ran on this host, and that is still ``RUNNING``; remove the lock files of
    such runs of this host and this store (ended or killed now).

    Returns the ids of the runs it set to ``KILLED``; logs a warning for each.
    """
    if fcntl is None or not folder.is_dir():
        return []
    killed = []
    for path in sorted(folder.glob("*.lock")):
        fd = _take_abandoned(path)
        if fd is None:
            continue
        try:
            owner = _read_owner(fd)
            if not _ran_here(owner, tracking_uri):
                continue
            if _kill_if_running(client, owner, last_alive_ms=os.fstat(fd).st_mtime_ns // 10**6):
                killed.append(owner["run_id"])
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return killed


def _ran_here(owner: dict[str, Any] | None, tracking_uri: str) -> bool:
    """Whether the lock file's record ``owner`` names this host and ``tracking_uri``."""
    return (
        owner is not None
        and owner.get("host") == socket.gethostname()
        and owner.get("tracking_uri") == without_passwords(tracking_uri)
    )


def _kill_if_running(client: Any, owner: dict[str, Any], last_alive_ms: int) -> bool:
    """Set ``owner``'s run to ``KILLED``, ending at ``last_alive_ms``, when it is
    ``RUNNING``; whether it did."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(owner["run_id"])
    except MlflowException:  # deleted from the store since
        return False
    if run.info.status != "RUNNING":
        return False
    reason = (
        f"its process (pid {owner.get('pid')} on {owner.get('host')}) ended without ending"
        " the run: killed (kill -9, out of memory) or the machine stopped"
    )
    client.set_tag(run.info.run_id, KILLED_BECAUSE_TAG, reason)
    client.set_terminated(
        run.info.run_id, "KILLED", end_time=max(last_alive_ms, run.info.start_time)
    )
    logger.warning(
        "MLflow run '%s' (%s) was left RUNNING: %s. It is now marked KILLED.",
        run.info.run_name,
        run.info.run_id,
        reason,
    )
    return True


class RunLivenessHook:
    """Holds the lock of the MLflow run a pipeline opened while it runs, and marks KILLED the
    runs of this project whose process died without ending them (the module's docstring)."""

    def __init__(self) -> None:
        self._run_active_before: str | None = None
        self._lock: RunLock | None = None

    @hook_impl
    def after_context_created(self) -> None:
        import mlflow

        active = mlflow.active_run()  # an orchestrator's run: its process owns it
        self._run_active_before = active.info.run_id if active else None

    # Kedro registers plugins (kedro-mlflow) after the project's hooks, so kedro-mlflow's
    # before_pipeline_run, which starts the run, is called before this one; trylast would
    # leave the run without its lock while the other hooks (a dataset loaded) run.
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        import mlflow

        active = mlflow.active_run()
        if active is None or active.info.run_id == self._run_active_before:
            return
        folder = Path(run_params["project_path"]) / RUNS_FOLDER
        uri = mlflow.get_tracking_uri()
        try:
            self._lock = lock_run(folder, active.info.run_id, uri)
        except OSError as error:  # a project folder this process cannot write to
            logger.warning(
                "MLflow run %s is not locked (%s): if its process is killed, the run stays"
                " RUNNING.",
                active.info.run_id,
                error,
            )
            return
        end_abandoned_runs(folder, mlflow.MlflowClient(tracking_uri=uri), uri)

    @hook_impl
    def before_node_run(self) -> None:
        if self._lock is not None:
            self._lock.touch()

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        self._release()

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
