"""Where the heavy work runs: in this process, or as tasks on a Dask cluster.

A stage that can spread its work cuts it into chunks and calls :func:`map_chunks`: with the
``local`` engine each chunk is done here, in order, exactly as a plain loop; with ``dask``
each chunk is a task of ``dask.distributed``, which schedules it on a worker, retries it
``retries`` times when it fails (a worker that dies has its tasks moved to the others by
the scheduler itself) and brings the results back. Nothing is scheduled by hand, except
the tasks whose shared inputs a dying worker took with it: they are sent again with them.

The cluster is the one at ``address``, else at ``DASK_SCHEDULER_ADDRESS``, else a
``LocalCluster`` started for the process (one single-threaded worker process per core) and
kept for its later stages; :func:`close_clients` ends what this process started.

Example (``square`` must be importable on the workers, as the project's functions are):
    >>> engine = Engine(name="dask", address="tcp://10.0.0.5:8786", chunk_size=256)
    >>> map_chunks(square, [[1, 2], [3]], engine)
    [[1, 4], [9]]
"""

import asyncio
import functools
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

logger = logging.getLogger(__name__)

ADDRESS_VARIABLE = "DASK_SCHEDULER_ADDRESS"
# Worker processes of a LocalCluster: one thread each, and so TensorFlow's and the BLAS
# libraries' own thread pools (dask's nanny sets OMP/MKL/OpenBLAS alone).
SINGLE_THREADED = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}

LESS_MEMORY = (
    "Give each task less to hold: a smaller engine.dask.chunk_size (or "
    "engine.dask.chunk_sizes.<stage> for a stage it names), or each worker more memory: fewer "
    "worker processes per machine (dask worker --nworkers), or a higher --memory-limit. The "
    "workers' logs say why they died ('exceeded 95% memory budget')."
)
"""What to do when workers die past their memory limit, the most common reason."""

LIBRARIES = ("tensorflow", "keras", "scikit-learn", "hdbscan", "pyarrow")
"""Libraries whose versions shape the chunks' results, compared with the workers' beside the
ones Dask compares itself when a client connects (Python, dask, distributed, numpy, pandas)."""

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

_clients: dict[str, Any] = {}


class ClusterLostTasks(RuntimeError):
    """Tasks that the Dask cluster dropped without a result or an error of their own: its
    scheduler went away, or the workers holding the tasks' shared inputs died, with no worker
    left or ``retries`` times."""


class WorkersKilled(RuntimeError):
    """A task during which the Dask workers that ran it died, one after the other, as many
    times as the scheduler allows (Dask's ``KilledWorker``)."""


class NoWorkers(TimeoutError):
    """A Dask scheduler that no worker joined within the wait a stage gives them."""


class WorkersNotAnswering(TimeoutError):
    """Dask workers that their scheduler lists but that did not answer the ``kedro run``
    process within the wait given them, or that the scheduler could not reach: a stopped
    process, a suspended or cut-off machine, an event loop that a task blocks."""


class WorkersRunOtherCode(RuntimeError):
    """Dask workers that import other ``insta_kedro`` code than the ``kedro run`` process:
    their chunks would be computed by that code."""


@dataclass(frozen=True)
class Engine:
    """Where a stage's chunks of work run: ``name`` ``local`` or ``dask``; for Dask, the
    scheduler's ``address`` (None: see the module), the items per task (``chunk_size``), the
    ``retries`` of a failed task (and of a stage's shared inputs lost) and the seconds a
    stage waits for a worker to join a scheduler that has none, and for each worker to answer
    as the stage starts (``wait_for_workers``, > 0)."""

    name: Literal["local", "dask"] = "local"
    address: str | None = None
    chunk_size: int = 256
    retries: int = 2
    wait_for_workers: float = 120.0

    @property
    def distributed(self) -> bool:
        return self.name == "dask"


LOCAL = Engine()


def chunked(items: Sequence[Chunk], size: int) -> list[Sequence[Chunk]]:
    """``items`` cut into consecutive chunks of ``size`` (the last may be shorter)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def bounded_rows(n_points: int, max_points: int | None, seed: int = 42) -> np.ndarray:
    """Every row index of ``n_points``, or, above ``max_points`` (None: no bound), a random
    sample (seeded by ``seed``, sorted) of ``max_points`` of them: the rows a fit or a
    measure whose cost grows faster than the rows is given at scale."""
    rows = np.arange(n_points)
    if max_points is not None and n_points > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    return rows


def dask_client(address: str | None = None, wait: float = LOCAL.wait_for_workers):
    """A ``dask.distributed.Client`` of the cluster at ``address``, else at
    ``DASK_SCHEDULER_ADDRESS``, else of a ``LocalCluster`` started now with one
    single-threaded worker process per core. One client per cluster and process. Raises
    ``ConnectionError`` when no scheduler answers at the address (:func:`_connect`); logs a
    warning when the workers' :data:`LIBRARIES` differ from this process's, and raises
    :class:`WorkersNotAnswering` when workers do not tell theirs within ``wait`` seconds
    (:func:`ask_workers`)."""
    source = "engine.dask.address" if address else ADDRESS_VARIABLE
    address = address or os.environ.get(ADDRESS_VARIABLE) or None
    key = address or "local"
    client = _clients.get(key)
    if client is not None and client.status == "running":
        return client
    from distributed import Client, LocalCluster

    if address is None:
        from dask.system import CPU_COUNT as cores  # the cores this process may use

        cluster = LocalCluster(
            n_workers=cores,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=SINGLE_THREADED,
        )
        client = _clients[key] = Client(cluster)
        logger.info("Dask: started a LocalCluster of %d single-threaded workers", cores)
        return client
    # kept before the workers are asked, so that close_clients closes it when that fails
    client = _clients[key] = _connect(address, source)
    logger.info(
        "Dask: connected to %s (%d workers)", address, len(client.scheduler_info()["workers"])
    )
    _warn_of_other_libraries(client, wait)
    return client


def _connect(address: str, source: str):
    """A ``Client`` of the scheduler at ``address`` (given by ``source``, the setting or the
    environment variable); a scheduler that does not answer, or an address Dask cannot read,
    raises a ``ConnectionError`` that names both and what to do."""
    from distributed import Client

    try:
        return Client(address)
    except (OSError, ValueError) as error:
        raise ConnectionError(
            f"Dask: no scheduler at {address!r} ({source}): {error}. Start it there "
            f"(dask scheduler, then dask worker {address}), or correct {source}; with "
            f"neither engine.dask.address nor {ADDRESS_VARIABLE} set, engine.name=dask starts "
            "a LocalCluster on this machine."
        ) from error


def _warn_of_other_libraries(client, wait: float) -> None:
    """Log a warning with Dask's table of the :data:`LIBRARIES` whose version differs between
    this process, the scheduler and ``client``'s workers, each worker given ``wait`` seconds
    to tell its versions (:func:`ask_workers`; Dask's own ``Client.get_versions`` waits for
    a stopped worker until the scheduler drops it)."""
    from distributed.versions import error_message, get_versions

    packages = list(LIBRARIES)
    workers = ask_workers(client, get_versions, wait, packages=packages)
    table = error_message(
        client.run_on_scheduler(get_versions, packages=packages),
        {worker: versions for worker, versions in workers.items() if isinstance(versions, dict)},
        get_versions(packages=packages),
    )
    if table["warning"]:
        logger.warning(
            "Dask: the workers' libraries are not this process's; their chunks may differ "
            "from a local run's. %s",
            table["warning"],
        )


def ask_workers(client, function: Callable, timeout: float, **kwargs: Any) -> dict[str, Any]:
    """``function(**kwargs)`` run on every worker of ``client``'s cluster at once, beside its
    tasks (Dask's ``Client.run``), each worker given ``timeout`` seconds (> 0) to answer.

    Returns the answers by worker address; an error that ``function`` raised on a worker is
    that worker's answer. A worker that left the cluster meanwhile is left out. Raises
    :class:`WorkersNotAnswering` naming the workers still in the cluster that did not answer
    in time or that the scheduler could not reach (an ``OSError`` for an answer): Dask's own
    ``Client.run`` waits for them until the scheduler drops them, as its connection to a
    stopped worker process does not time out.
    """
    workers = client.scheduler_info()["workers"]
    answers = client.sync(_answers, client, function, list(workers), timeout, kwargs)
    unreached = {worker: why for worker, (answered, why) in answers.items() if not answered}
    if unreached:
        still_there = client.scheduler_info()["workers"]
        silent = {worker: why for worker, why in unreached.items() if worker in still_there}
        if silent:
            raise _not_answering(silent, workers, client, timeout)
        logger.warning("Dask: workers left the cluster while asked, left out: %s", unreached)
    return {worker: answer for worker, (answered, answer) in answers.items() if answered}


async def _answers(
    client, function: Callable, workers: list[str], timeout: float, kwargs: dict[str, Any]
) -> dict[str, tuple[bool, Any]]:
    """Each of ``workers``' answer to ``function(**kwargs)`` (``Client.run``, awaited on the
    client's event loop), as ``(True, answer)``; ``(False, why)`` for a worker that gave
    none within ``timeout`` seconds or that the scheduler could not reach."""

    async def answer(worker: str) -> tuple[bool, Any]:
        asked = client.run(function, workers=[worker], on_error="return", **kwargs)
        try:
            value = (await asyncio.wait_for(asked, timeout))[worker]
        except TimeoutError:
            return False, f"no answer within {timeout:g} s"
        if isinstance(value, OSError):  # Dask's error of the scheduler's connection to it
            return False, f"{type(value).__name__}: {value}"
        return True, value

    return dict(zip(workers, await asyncio.gather(*map(answer, workers)), strict=True))


def _not_answering(
    silent: dict[str, str], workers: dict[str, dict], client, timeout: float
) -> WorkersNotAnswering:
    """The error of the ``silent`` workers (address → why) among ``workers`` (address →
    Dask's information on it) of ``client``'s cluster, asked with ``timeout`` seconds."""
    named = "; ".join(
        f"{workers.get(worker, {}).get('name', worker)} at {worker} ({why})"
        for worker, why in sorted(silent.items())
    )
    return WorkersNotAnswering(
        f"Dask: workers of the scheduler at {client.scheduler.address} did not answer this "
        f"process within {timeout:g} s (engine.dask.wait_for_workers): {named}. The scheduler "
        "would still send them tasks, which would wait there until it drops them, 5 to 10 "
        "minutes later by default (distributed.scheduler.worker-ttl). A worker does not answer "
        "when its process is stopped (Ctrl-Z, kill -STOP, a suspended machine), its machine is "
        "cut off, or a task blocks its event loop: resume it (kill -CONT <pid>) or stop it on "
        "its machine, then run again; give workers that are only busy longer with a higher "
        "engine.dask.wait_for_workers."
    )


def wait_for_a_worker(client, timeout: float) -> None:
    """Return once a worker runs on ``client``'s cluster, waiting at most ``timeout`` seconds
    (> 0) for one to join; then raise :class:`NoWorkers`, naming the scheduler and how to
    start workers."""
    if client.scheduler_info()["workers"]:
        return
    from distributed.exceptions import WorkerStartTimeoutError

    address = client.scheduler.address
    logger.warning("Dask: no worker at %s yet; waiting up to %g s for one", address, timeout)
    try:
        client.wait_for_workers(1, timeout=timeout)
    except WorkerStartTimeoutError as error:
        raise NoWorkers(
            f"Dask: no worker joined the scheduler at {address} within {timeout:g} s "
            "(engine.dask.wait_for_workers). Start workers that connect to it, e.g. "
            f"`dask worker {address} --nthreads 1` on each worker machine (docs/scaling.md), "
            "or point engine.dask.address or DASK_SCHEDULER_ADDRESS at a scheduler that has "
            "them."
        ) from error


def close_clients() -> None:
    """Close the clients this process opened, and the LocalCluster it started, if any."""
    while _clients:
        _, client = _clients.popitem()
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def workers_with(client, resource: str) -> int:
    """How many of the cluster's workers declare ``resource`` (e.g. ``GPU``)."""
    workers = client.scheduler_info()["workers"].values()
    return sum(1 for worker in workers if worker.get("resources", {}).get(resource, 0) > 0)


@functools.cache
def code_fingerprint() -> str:
    """The sha256 of the ``insta_kedro`` package's Python files (each file's path in the
    package and its bytes), read from disk at the first call and kept for the process: the
    same in two processes exactly when they run the same code, as long as each read its files
    before they changed (a worker reads them when a driver first checks it)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _other_code(workers: Sequence[str]) -> WorkersRunOtherCode:
    """The error of ``workers`` that run other code than this process."""
    return WorkersRunOtherCode(
        f"Dask: the workers {', '.join(workers)} import other insta_kedro code than this "
        f"process ({Path(__file__).resolve().parents[1]}), and would compute their chunks "
        "with it. Check out the same commit and install it on every machine, then restart the "
        "workers (docs/scaling.md, 'The same code and environment everywhere')."
    )


def check_same_code(client, wait: float = LOCAL.wait_for_workers) -> None:
    """Raise :class:`WorkersRunOtherCode` naming the workers of ``client``'s cluster whose
    :func:`code_fingerprint` is not this process's (a worker too old to have one included),
    and :class:`WorkersNotAnswering` naming those that do not tell theirs within ``wait``
    seconds (:func:`ask_workers`)."""
    theirs = ask_workers(client, code_fingerprint, wait)
    other = sorted(worker for worker, code in theirs.items() if code != code_fingerprint())
    if other:
        raise _other_code(other)


def _apply(
    chunk: Chunk, function: Callable[..., Result], shared: dict[str, Any], code: str
) -> Result:
    """A task on a worker: ``function(chunk, **shared)``, when the worker runs the code
    ``code`` (the ``kedro run`` process's :func:`code_fingerprint`), as a worker that joined
    after :func:`check_same_code` may not."""
    if code != code_fingerprint():
        from distributed import get_worker

        raise _other_code([get_worker().address])
    return function(chunk, **shared)


def map_chunks(
    function: Callable[..., Result],
    chunks: Sequence[Chunk],
    engine: Engine = LOCAL,
    on_result: Callable[[Result], object] | None = None,
    gpu: bool = False,
    **shared: Any,
) -> list[Result]:
    """``function(chunk, **shared)`` for each chunk, on ``engine``; the results in chunk order.

    ``on_result``: called with each result as it arrives (e.g. to count progress). The rest
    is :func:`for_each_result`'s.
    """
    results: list[Any] = [None] * len(chunks)

    def keep(index: int, result: Result) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    for_each_result(function, chunks, keep, engine, gpu, **shared)
    return results


def for_each_result(
    function: Callable[..., Result],
    chunks: Sequence[Chunk],
    consume: Callable[[int, Result], object],
    engine: Engine = LOCAL,
    gpu: bool = False,
    **shared: Any,
) -> None:
    """``consume(index, function(chunk, **shared))`` for each chunk, as its result arrives
    (on Dask, in the order the tasks finish); nothing is kept here, so a caller that puts each
    result in its place holds one result at a time, not all of them.

    ``shared``: arguments every chunk gets the same (sent to the cluster once, again only when
    lost). On Dask, each result is brought back once and then released on its worker; a task
    whose function raises is tried again ``engine.retries`` times, and when it still fails its
    error is raised here. Dask keeps the shared arguments only on the workers that still need
    them, so a worker that dies may take their last copy (or die as it receives them) and the
    tasks waiting on them with it: those tasks are sent again, with the shared arguments, to
    the workers left (or to one that joins within ``engine.wait_for_workers`` seconds, when
    none is), ``engine.retries`` times. Tasks the cluster drops otherwise (its scheduler gone,
    no worker joining, those retries spent) raise :class:`ClusterLostTasks`, a task whose
    workers died under it as often as Dask allows (its ``KilledWorker``)
    :class:`WorkersKilled`, a scheduler that no worker joins within
    ``engine.wait_for_workers`` seconds as the stage starts :class:`NoWorkers`
    (:func:`wait_for_a_worker`), workers that do not answer within it as the stage starts
    :class:`WorkersNotAnswering`, and workers that run other code than this process
    :class:`WorkersRunOtherCode` (:func:`check_same_code`). ``gpu``: the work runs faster on a
    GPU; when the cluster has workers with a ``GPU`` resource, each task then asks for one
    (``resources={"GPU": 1}``), so only those workers take it.
    """
    if not engine.distributed or not chunks:
        for index, chunk in enumerate(chunks):
            consume(index, function(chunk, **shared))
        return
    client = dask_client(engine.address, engine.wait_for_workers)
    wait_for_a_worker(client, engine.wait_for_workers)
    check_same_code(client, engine.wait_for_workers)
    resources = {"GPU": 1} if gpu and workers_with(client, "GPU") else None
    left = list(range(len(chunks)))
    for sent in range(engine.retries + 1):
        left, cancelled = _send_and_consume(
            function, chunks, left, consume, engine, resources, client, shared
        )
        if not left:
            return
        if sent == engine.retries:
            raise _lost_tasks(function, len(left), len(chunks), client, cancelled, sent)
        _wait_for_a_worker_again(function, len(left), len(chunks), client, engine, cancelled, sent)
        logger.warning(
            "Dask: %d tasks of %s lost their shared inputs with the workers that held or "
            "received them; sending them again to the workers left (%d of %d times)",
            len(left),
            function.__name__,
            sent + 1,
            engine.retries,
        )


def _wait_for_a_worker_again(
    function: Callable,
    lost: int,
    total: int,
    client,
    engine: Engine,
    cancelled: BaseException | None,
    sent: int,
) -> None:
    """Return once ``client``'s cluster has a worker to send ``lost`` of ``total`` tasks of
    ``function`` to again, waiting ``engine.wait_for_workers`` seconds at most for one to
    join (a worker restarted by its nanny, a machine brought back); else raise
    :func:`_lost_tasks`'s error."""
    try:
        wait_for_a_worker(client, engine.wait_for_workers)
    except NoWorkers as error:
        raise _lost_tasks(function, lost, total, client, cancelled, sent, error) from error


def _send_and_consume(
    function: Callable[..., Result],
    chunks: Sequence[Chunk],
    indices: list[int],
    consume: Callable[[int, Result], object],
    engine: Engine,
    resources: dict[str, int] | None,
    client,
    shared: dict[str, Any],
) -> tuple[list[int], BaseException | None]:
    """Send ``shared`` to every worker of ``client``'s cluster and ``chunks[indices]`` as
    tasks of ``function`` (each asking for ``resources``), and ``consume`` each result as it
    arrives. Returns the indices of the tasks the cluster cancelled because their shared
    inputs were lost with the workers that held them, and the first one's
    ``FutureCancelledError`` (None when none was); all of ``indices``, and the error, when
    the shared inputs could not be sent (:func:`_scatter`). Raises :class:`ClusterLostTasks`
    when the connection to the scheduler is lost, and :class:`WorkersKilled` for Dask's
    ``KilledWorker``."""
    from distributed import KilledWorker, as_completed

    shared_on_workers = _scatter(shared, client)
    if isinstance(shared_on_workers, OSError):
        return list(indices), shared_on_workers
    futures = client.map(
        _apply,
        [chunks[index] for index in indices],
        function=function,
        shared=shared_on_workers,
        code=code_fingerprint(),
        retries=engine.retries,
        pure=False,
        resources=resources,
    )
    position = {future.key: index for index, future in zip(indices, futures, strict=True)}
    finished = as_completed(futures, with_results=True)
    del futures  # a future no longer referenced has its result released on the cluster
    lost, first = [], None
    try:
        for done, (future, result) in enumerate(finished):
            if not future.cancelled():  # as_completed raises only the errors the tasks raised
                consume(position[future.key], result)
            elif _connection_lost(result):
                raise _lost_tasks(function, len(indices) - done, len(chunks), client, result)
            else:
                lost.append(position[future.key])
                first = first or result
    except KilledWorker as error:
        raise _killed(function, position[error.task], chunks, engine, error) from error
    return sorted(lost), first


def _scatter(shared: dict[str, Any], client):
    """``shared`` sent to every worker of ``client``'s cluster: its future, or the
    ``OSError`` of a sending that a worker's death broke (the worker receiving it died, or no
    worker was left to receive it: Dask's ``TimeoutError``). Raises :class:`ClusterLostTasks`
    when the connection to the scheduler is lost."""
    try:
        # Passed to the tasks as one argument, so that no name of theirs meets one of
        # ``Client.map``'s own (``batch_size``, ``key``, ...).
        [future] = client.scatter([shared], broadcast=True, hash=False)
    except OSError as error:
        if client.status != "running":
            raise ClusterLostTasks(
                f"Dask: the connection to the scheduler at {client.scheduler.address} was lost "
                f"while the stage's shared inputs were sent ({error!r}). See the scheduler's "
                "log, and run again once it is running."
            ) from error
        logger.warning("Dask: sending the shared inputs failed, a worker died: %r", error)
        return error
    return future


def _connection_lost(cancelled: BaseException | None) -> bool:
    """Whether a task was cancelled (``cancelled``: its ``FutureCancelledError``) because the
    client lost its connection to the scheduler."""
    return getattr(cancelled, "reason", None) == "scheduler-connection-lost"


def _killed(
    function: Callable, index: int, chunks: Sequence, engine: Engine, error: BaseException
) -> WorkersKilled:
    """The error of the task of ``function`` on ``chunks[index]`` whose workers died under it
    (``error``: Dask's ``KilledWorker``, sent on ``engine``): what happened and what to do."""
    return WorkersKilled(
        f"Dask: the workers that ran {function.__name__} on chunk {index + 1} of "
        f"{len(chunks)} ({len(chunks[index])} items; {engine.chunk_size} a task) died under "
        f"it {error.allowed_failures + 1} times, the last one {error.last_worker.address}. "
        "A worker process dies mostly when its nanny restarts it past its memory limit "
        f"(dask worker --memory-limit). {LESS_MEMORY}"
    )


def _lost_tasks(
    function: Callable,
    lost: int,
    total: int,
    client,
    cancelled: BaseException | None,
    sent_again: int = 0,
    no_workers: NoWorkers | None = None,
) -> ClusterLostTasks:
    """The error of ``lost`` of ``total`` tasks of ``function`` that ``client``'s cluster
    cancelled (``cancelled``: the first one's ``FutureCancelledError``, or the ``OSError``
    of the shared inputs' sending) after sending them again ``sent_again`` times, with no
    worker left then (``no_workers``: the wait for one that ended): what happened and what
    to do."""
    if _connection_lost(cancelled):
        why = (
            "the connection to its scheduler was lost (the scheduler stopped, or the network "
            "to it failed)"
        )
    else:
        again = f", each of the {sent_again + 1} times they were sent" if sent_again else ""
        left = f"; then {no_workers}" if no_workers is not None else ""
        why = (
            f"the inputs its tasks share were lost with the workers that held or received "
            f"them{again} (those workers died, or were restarted by their nanny, e.g. past "
            f"their memory limit), and no other worker had them{left}. {LESS_MEMORY}"
        )
    return ClusterLostTasks(
        f"Dask: the cluster at {client.scheduler.address} dropped {lost} of {total} tasks of "
        f"{function.__name__}: {why}. Chunks that finished are kept only where the stage "
        "caches them (image_features' feature cache: a rerun computes only the rest). See the "
        "scheduler's and the workers' logs, and run again once they are running."
    )
