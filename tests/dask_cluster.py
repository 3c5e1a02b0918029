"""A real Dask cluster for tests: a ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1, each a process of its own, started with the project's Python and stopped at the
end."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DASK = Path(sys.executable).with_name("dask")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    """The scheduler's ``address`` and the worker processes (``dask worker --no-nanny``
    unless started otherwise: killing one is final, as a machine that dies); ``folder`` and
    ``environment``: where and with what the processes run."""

    address: str
    scheduler: subprocess.Popen
    folder: Path
    environment: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, name: str, *options: str, nanny: bool = False) -> subprocess.Popen:
        """A single-threaded worker named ``name`` with the ``dask worker`` ``options``
        (``--resources GPU=1``, ``--memory-limit 300MB``), without a nanny unless ``nanny``;
        its log is ``<name>.log``."""
        worker = _start(
            [
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--nanny" if nanny else "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                name,
                *options,
            ],
            self.folder / f"{name}.log",
            self.environment,
        )
        self.workers.append(worker)
        return worker


def _start(arguments: list[str], log: Path, environment: dict[str, str]) -> subprocess.Popen:
    """``dask <arguments>`` run with ``environment`` in the folder of ``log``, the file that
    gets its output."""
    with open(log, "wb") as output:
        return subprocess.Popen(
            [str(DASK), *arguments],
            cwd=log.parent,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_for_workers(address: str, count: int, timeout: float = 120.0) -> None:
    """Wait until the scheduler at ``address`` answers and ``count`` workers run on it."""
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        if count:
            client.wait_for_workers(count, timeout=timeout)


@contextmanager
def dask_cluster(
    folder: Path, workers: int = 2, env: dict | None = None, resources: dict[int, str] | None = None
) -> Iterator[Cluster]:
    """A scheduler and ``workers`` (0: none) single-threaded workers named ``worker-<i>``,
    run in ``folder`` (their logs are ``scheduler.log`` and ``worker-<i>.log`` there);
    ``resources``: worker index → what it declares (``"GPU=1"``)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # The workers run this checkout's package (not another one the environment installed),
    # and the tests' own task functions are importable (``tests.…``) there too.
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)]),
        "TF_NUM_INTRAOP_THREADS": "1",
        **(env or {}),
    }
    environment.pop("DASK_SCHEDULER_ADDRESS", None)
    scheduler = _start(
        [
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
            "--no-show",
        ],
        folder / "scheduler.log",
        environment,
    )
    cluster = Cluster(address, scheduler, folder, environment)
    try:
        for i in range(workers):
            if i in (resources or {}):
                cluster.start_worker(f"worker-{i}", "--resources", resources[i])
            else:
                cluster.start_worker(f"worker-{i}")
        wait_for_workers(address, workers)
        yield cluster
    finally:
        # The workers stop first: a worker that is closing while its scheduler closes can
        # hang until it is killed.
        _stop(cluster.workers)
        _stop([scheduler])


def _stop(processes: list[subprocess.Popen], timeout: float = 20.0) -> None:
    """Terminate ``processes`` and wait for them; the ones still running after ``timeout``
    seconds are killed."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
