"""The engine: chunks of work done here, or as tasks on a real Dask cluster."""

import os
import re
import shutil
import signal
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import dask
import distributed  # noqa: F401  (its configuration defaults, set below)
import pytest
from dask.system import CPU_COUNT

from insta_kedro.engine import (
    ClusterLostTasks,
    Engine,
    NoWorkers,
    WorkersKilled,
    WorkersNotAnswering,
    WorkersRunOtherCode,
    check_same_code,
    chunked,
    close_clients,
    code_fingerprint,
    dask_client,
    for_each_result,
    map_chunks,
)
from insta_kedro.engine.engine import _apply
from tests.dask_cluster import PROJECT_ROOT, _free_port, dask_cluster, wait_for_workers
from tests.killing import kill


def squares(chunk: list[int], offset: int = 0) -> list[int]:
    return [n * n + offset for n in chunk]


def fails_once(chunk: list[int], marker: str) -> list[int]:
    """Fails the first time it is called for a chunk (a file marks the first call)."""
    first_call = Path(f"{marker}-{chunk[0]}")
    if not first_call.exists():
        first_call.touch()
        raise RuntimeError("a worker lost its chunk")
    return chunk


def always_fails(chunk: list[int]) -> list[int]:
    raise ValueError(f"chunk {chunk} is bad")


def test_chunks_are_consecutive_and_the_last_may_be_shorter():
    assert chunked(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunked([], 3) == []


def test_the_local_engine_is_a_plain_loop_in_order():
    seen = []
    results = map_chunks(squares, [[1, 2], [3]], Engine(), on_result=seen.append, offset=1)
    assert results == [[2, 5], [10]]
    assert seen == results


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running
    close_clients()


def test_chunks_on_a_cluster_come_back_in_order(cluster):
    engine = Engine(name="dask", address=cluster.address)
    chunks = chunked(list(range(40)), 3)
    seen = []
    results = map_chunks(squares, chunks, engine, on_result=seen.append, offset=1)
    assert results == [squares(c, 1) for c in chunks]
    assert sorted(map(tuple, seen)) == sorted(map(tuple, results))


def test_each_result_is_handed_over_once_with_its_chunk_index_and_released(cluster):
    engine = Engine(name="dask", address=cluster.address)
    chunks = chunked(list(range(40)), 3)
    got = {}
    for_each_result(
        squares, chunks, lambda index, result: got.setdefault(index, []).append(result), engine
    )
    assert got == {index: [squares(chunk)] for index, chunk in enumerate(chunks)}
    client = dask_client(cluster.address)
    deadline = time.monotonic() + 10
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
        assert time.monotonic() < deadline, "the results are still held on the cluster"
        time.sleep(0.1)


def test_a_failed_chunk_is_tried_again_then_its_error_is_raised(cluster, tmp_path):
    engine = Engine(name="dask", address=cluster.address, retries=1)
    marker = str(tmp_path / "first")
    assert map_chunks(fails_once, [[1], [2]], engine, marker=marker) == [[1], [2]]
    with pytest.raises(ValueError, match="is bad"):
        map_chunks(always_fails, [[1]], engine)


def test_the_address_comes_from_dask_scheduler_address(cluster, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
    client = dask_client(None)
    assert client.scheduler.address == cluster.address
    assert map_chunks(squares, [[3]], Engine(name="dask")) == [[9]]


def test_a_scheduler_that_is_not_there_is_named_with_the_setting_that_gave_it(monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", f"tcp://127.0.0.1:{_free_port()}")
    not_there = r"127\.0\.0\.1.*\(DASK_SCHEDULER_ADDRESS\)"
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(ConnectionError, match=not_there),
    ):
        dask_client(None)
    with pytest.raises(ConnectionError, match=r"'http://127\.0\.0\.1:1' \(engine\.dask\.address\)"):
        dask_client("http://127.0.0.1:1")


def test_without_an_address_a_local_cluster_of_single_threaded_workers_starts(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    try:
        client = dask_client(None)
        workers = client.scheduler_info()["workers"].values()
        assert len(workers) == CPU_COUNT
        assert {w["nthreads"] for w in workers} == {1}
        assert client.run(lambda: os.environ["TF_NUM_INTRAOP_THREADS"]) == {
            w: "1" for w in client.scheduler_info()["workers"]
        }
        assert map_chunks(squares, [[2], [4]], Engine(name="dask")) == [[4], [16]]
    finally:
        close_clients()


def test_a_scheduler_without_workers_is_named_with_how_to_start_them(tmp_path):
    with dask_cluster(tmp_path, workers=0) as cluster:
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=2)
        started = time.monotonic()
        try:
            with pytest.raises(
                NoWorkers,
                match=rf"no worker joined the scheduler at "
                rf"{cluster.address} within 2 s.*dask worker {cluster.address}",
            ):
                map_chunks(squares, [[1], [2]], engine)
        finally:
            close_clients()
        assert time.monotonic() - started < 20


def test_workers_that_join_a_while_after_the_scheduler_get_the_chunks(tmp_path):
    """A worker that joins after Dask's own timeouts (shortened to 1 s here) would have
    passed: the stage waits for it."""
    with dask_cluster(tmp_path, workers=0) as cluster:
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=120)
        late = threading.Timer(3.0, cluster.start_worker, args=["late"])
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
                late.start()
                assert map_chunks(squares, [[1], [2]], engine) == [[1], [4]]
        finally:
            late.join()
            close_clients()


def worker_name(chunk: list[int]) -> str:
    """The name of the worker that runs the chunk."""
    from distributed import get_worker

    time.sleep(0.05)  # long enough for the scheduler to spread the chunks
    return get_worker().name


def test_gpu_work_goes_to_the_workers_that_declare_a_gpu(tmp_path):
    with dask_cluster(tmp_path, resources={0: "GPU=1"}) as cluster:
        engine = Engine(name="dask", address=cluster.address)
        chunks = [[i] for i in range(12)]
        try:
            assert set(map_chunks(worker_name, chunks, engine, gpu=True)) == {"worker-0"}
            assert set(map_chunks(worker_name, chunks, engine)) == {"worker-0", "worker-1"}
        finally:
            close_clients()


def slow_squares(chunk: list[int]) -> list[int]:
    time.sleep(1.0)  # the next chunk is still running when the first result arrives
    return squares(chunk)


@pytest.mark.parametrize(
    ("dies", "reason"),
    [("worker", "lost with the workers"), ("scheduler", "connection to its scheduler was lost")],
)
def test_tasks_the_cluster_drops_raise_instead_of_coming_back_as_results(tmp_path, dies, reason):
    with dask_cluster(tmp_path, workers=1) as cluster:
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=2)
        process = cluster.workers[0] if dies == "worker" else cluster.scheduler
        seen = []

        def kill_at_the_first_result(result: list[int]) -> None:
            seen.append(result)
            if len(seen) == 1:
                kill(process)

        try:
            with pytest.raises(ClusterLostTasks, match=rf"dropped [1-5] of 6 tasks.*{reason}"):
                map_chunks(slow_squares, [[i] for i in range(6)], engine, kill_at_the_first_result)
        finally:
            close_clients()
        assert seen == [[0]]


def test_a_stage_whose_workers_all_died_goes_on_on_a_worker_that_joins(tmp_path):
    """The only worker dies at the first result (a machine lost, a worker restarted by its
    nanny); one joins within engine.wait_for_workers: it gets the chunks without a result."""
    with dask_cluster(tmp_path, workers=1) as cluster:
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=120)
        got = {}

        def kill_and_replace_at_the_first_result(index: int, result: list[int]) -> None:
            got.setdefault(index, []).append(result)
            if len(got) == 1:
                kill(cluster.workers[0])
                cluster.start_worker("replacement")

        try:
            for_each_result(
                slow_squares, [[i] for i in range(4)], kill_and_replace_at_the_first_result, engine
            )
        finally:
            close_clients()
        assert got == {i: [[i * i]] for i in range(4)}


def _received(marker: str) -> "DiesWhenReceived":
    """Unpickles a :class:`DiesWhenReceived`; in a worker process, the first time (no file
    at ``marker`` yet), kills that process first."""
    if "worker" in sys.argv and not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return DiesWhenReceived(marker)


class DiesWhenReceived:
    """A shared input that kills the first worker that receives it: a worker dying while a
    stage's shared inputs are sent."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return _received, (self.marker,)


def squares_with(chunk: list[int], received: DiesWhenReceived) -> list[int]:
    return squares(chunk)


@pytest.mark.parametrize("workers", [2, 1])
def test_a_worker_that_dies_as_it_receives_the_shared_inputs_loses_no_chunk(tmp_path, workers):
    """The shared inputs are sent again to the workers left; with none left (and none joining
    within engine.wait_for_workers), the tasks are dropped with ClusterLostTasks, not with
    the error of the broken sending."""
    with dask_cluster(tmp_path, workers=workers) as cluster:
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=2)
        chunks = [[i] for i in range(4)]
        received = DiesWhenReceived(str(tmp_path / "received"))
        try:
            with (
                pytest.raises(
                    ClusterLostTasks,
                    match=r"dropped 4 of 4 tasks of squares_with: the inputs its tasks share "
                    r"were lost with the workers that held or received them(.|\n)*no worker "
                    r"joined",
                )
                if workers == 1
                else nullcontext()
            ):
                assert map_chunks(squares_with, chunks, engine, received=received) == [
                    squares(chunk) for chunk in chunks
                ]
        finally:
            close_clients()
        assert (tmp_path / "received").exists()


def squares_but_chunk_3_hangs_once(chunk: list[int], marker: str, offset: int) -> list[int]:
    """``squares``; the first time chunk ``[3]`` runs (a file marks it) it hangs first, until
    its worker is killed."""
    if chunk == [3] and not Path(marker).exists():
        Path(marker).touch()
        time.sleep(60)
    return squares(chunk, offset)


def _last_chunk_and_sole_copy(dask_scheduler) -> str | None:
    """The name of the worker that runs the stage's one unfinished task and holds the one
    copy left of its shared inputs (the active memory manager dropped the others); None
    until then."""
    tasks = dask_scheduler.tasks.values()
    unfinished = [t for t in tasks if t.key.startswith("_apply") and t.state != "memory"]
    shared = [t for t in tasks if t.key.startswith("dict-")]
    if len(unfinished) != 1 or unfinished[0].state != "processing" or len(shared) != 1:
        return None
    worker = unfinished[0].processing_on
    return worker.name if shared[0].who_has == {worker} else None


def kill_the_worker_with_the_last_copy(cluster, consumed: dict, killed: list) -> None:
    """Wait (at most 30 s) until the results of all tasks but one are ``consumed`` (4 tasks)
    and that one runs on the worker that holds the only copy of the shared inputs, then kill
    that worker and add its name to ``killed``."""
    from distributed import Client

    deadline = time.monotonic() + 30
    with Client(cluster.address) as client:
        while len(consumed) < 3 or not (name := client.run_on_scheduler(_last_chunk_and_sole_copy)):
            assert time.monotonic() < deadline, "the shared inputs kept several copies"
            time.sleep(0.1)
    kill(cluster.workers[int(name.removeprefix("worker-"))])
    killed.append(name)


@pytest.mark.parametrize("retries", [2, 0])
def test_a_dead_worker_with_the_last_copy_of_the_shared_inputs_loses_no_chunk(tmp_path, retries):
    """Dask's active memory manager drops the copies of the shared inputs on workers that
    run none of their tasks: the worker running the last chunk holds the only one. When it
    dies, the other worker gets them again and does the chunk; each result is handed over
    once. With no retries, the chunk is lost as when no worker is left."""
    with dask_cluster(tmp_path) as cluster:
        chunks = [[i] for i in range(4)]
        got, killed = {}, []
        killer = threading.Thread(
            target=kill_the_worker_with_the_last_copy, args=[cluster, got, killed]
        )
        killer.start()
        try:
            with (
                pytest.raises(ClusterLostTasks, match="dropped 1 of 4.*lost with the workers")
                if not retries
                else nullcontext()
            ):
                for_each_result(
                    squares_but_chunk_3_hangs_once,
                    chunks,
                    lambda index, result: got.setdefault(index, []).append(result),
                    Engine(name="dask", address=cluster.address, retries=retries),
                    marker=str(tmp_path / "hung"),
                    offset=1,
                )
        finally:
            killer.join()
            close_clients()
        assert len(killed) == 1
        done = chunks if retries else chunks[:3]
        assert got == {index: [squares(chunk, 1)] for index, chunk in enumerate(done)}


def past_the_memory_limit(chunk: list[int]) -> list[int]:
    """Holds 600 MB for the chunk that starts with 0 (its worker's nanny restarts it past its
    memory limit), nothing for the others."""
    import numpy as np

    if chunk[0] == 0:
        held = np.ones(600 * 2**20 // 8)
        time.sleep(10)
        del held
    time.sleep(0.5)
    return chunk


def test_a_chunk_that_kills_its_workers_says_how_to_give_them_more_memory(tmp_path):
    """Two workers of 300 MB whose nannies restart them; the scheduler fails a task after
    two deaths (allowed-failures 1) with Dask's KilledWorker."""
    allowed = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    with dask_cluster(tmp_path, workers=0, env=allowed) as cluster:
        for name in ("small-0", "small-1"):
            cluster.start_worker(name, "--memory-limit", "300MB", nanny=True)
        engine = Engine(name="dask", address=cluster.address, chunk_size=1)
        # The task named is one that was on a dying worker both times: the hog's, or one
        # queued beside it there (the scheduler gives a worker more than one task at a time).
        wanted = (
            r"past_the_memory_limit on chunk [1-6] of 6 \(1 items; 1 a task\) died under it 2 "
            r"times(.|\n)*memory limit(.|\n)*engine\.dask\.chunk_size(.|\n)*--nworkers"
        )
        try:
            wait_for_workers(cluster.address, 2)
            with pytest.raises(WorkersKilled, match=wanted):
                map_chunks(past_the_memory_limit, [[i] for i in range(6)], engine)
        finally:
            close_clients()
        logs = "".join((tmp_path / f"{name}.log").read_text() for name in ("small-0", "small-1"))
        assert logs.count("exceeded 95% memory budget") == 2


def test_workers_that_import_other_code_compute_no_chunk(tmp_path, caplog):
    """Workers of another commit, with another hdbscan: the libraries' versions are logged
    when the client connects; the workers are named before any chunk is sent, and a chunk
    that reaches one (a worker that joined later) fails instead of being computed there."""
    other = tmp_path / "other_commit"
    shutil.copytree(
        PROJECT_ROOT / "src" / "insta_kedro",
        other / "insta_kedro",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    with (other / "insta_kedro" / "text" / "post_features.py").open("a") as file:
        file.write("\n# a change of another commit\n")
    (other / "hdbscan-0.0.1.dist-info").mkdir()
    (other / "hdbscan-0.0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hdbscan\nVersion: 0.0.1\n"
    )
    environment = {"PYTHONPATH": os.pathsep.join([str(other), str(PROJECT_ROOT)])}
    with dask_cluster(tmp_path, workers=1, env=environment) as cluster:
        try:
            client = dask_client(cluster.address)
            [worker] = client.scheduler_info()["workers"]
            assert re.search(
                r"libraries are not this process's(.|\n)*hdbscan.*0\.0\.1", caplog.text
            )
            with pytest.raises(WorkersRunOtherCode, match=rf"workers {worker} import other"):
                map_chunks(squares, [[1], [2]], Engine(name="dask", address=cluster.address))
            task = client.submit(_apply, [3], squares, {}, code_fingerprint())
            with pytest.raises(WorkersRunOtherCode, match=rf"workers {worker} import other"):
                task.result()
        finally:
            close_clients()


def test_a_stopped_worker_is_named_in_time_and_once_dropped_the_others_do_the_chunks(tmp_path):
    """A worker process stopped with SIGSTOP (a suspended machine) still accepts connections
    but never answers: the stage names it within engine.dask.wait_for_workers instead of
    waiting without end. Once the scheduler drops it (past a worker-ttl shortened to 1 s
    here; Dask's connection to it then fails), it is not taken for a worker that runs other
    code, and the worker left does the chunks."""
    drop_silent = {"DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": "1s"}
    with dask_cluster(tmp_path, env=drop_silent) as cluster:
        stopped = cluster.workers[1]
        stopped.send_signal(signal.SIGSTOP)
        engine = Engine(name="dask", address=cluster.address, wait_for_workers=2)
        started = time.monotonic()
        try:
            with pytest.raises(
                WorkersNotAnswering,
                match=r"did not answer this process within 2 s \(engine\.dask\.wait_for_workers"
                r"\): worker-1 at tcp://127\.0\.0\.1:\d+ \(no answer within 2 s\)(.|\n)*kill -CONT",
            ):
                map_chunks(squares, [[1], [2]], engine)
            assert time.monotonic() - started < 10
            client = dask_client(cluster.address)
            check_same_code(client, wait=60)  # returns once the scheduler dropped worker-1
            assert [info["name"] for info in client.scheduler_info()["workers"].values()] == [
                "worker-0"
            ]
            assert map_chunks(squares, [[1], [2]], engine) == [[1], [4]]
        finally:
            kill(stopped)  # resumed, a worker the scheduler dropped can hang as it closes
            close_clients()
