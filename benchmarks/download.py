"""Benchmark of the live download as the number of accounts grows; prints a table.

    .venv/bin/python benchmarks/download.py [--sizes 100 200 400 800] [--posts 1]
        [--failing-profile-posts 200] [--updates 3]

Each size N is a first download of N accounts (``ingestion.download_profiles`` into a fresh
folder, ``update: all``) from the tests' fake Instagram
(``tests.ingestion.test_download.FakeInstagram``, which answers ``requests``' transport; the
accounts are copies of its ``ben_hikes`` with ``--posts`` posts each), with no pauses between
requests. Then a second run lists one more account: the N folders are on disk and one
profile is new.

Printed per size: the seconds of the first download, its milliseconds per account, and
that against the smallest size's (the baseline, measured in the same run: 1.0 means the
download grows linearly with the accounts); the ``id`` files the download read looking for
folders of renamed accounts, per account; and the seconds, ``id`` files read and writes of
``latest-stamps.ini`` (instaloader's ``LatestStamps`` rewrites the whole file each time; KiB
written in all) of the second run. The seconds leave out the time the fake takes to answer
(its look-ups grow with the accounts); they are the download's own work, which a real
network's waits dwarf.

A second table follows daily updates (``update: new_posts``, one new post a day) of one
account of ``--failing-profile-posts`` posts, logged out, whose post at the top, the middle
or the bottom of the profile always fails (Instagram withholds its metadata, so its date is
unknown), against the same account with no failing post (the baseline, same run): the
requests sent to Instagram and the posts asked for per update, averaged over ``--updates``
updates after the first download.
"""

import argparse
import configparser
import io
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from insta_kedro.ingestion.download import download_profiles, make_loader  # noqa: E402
from tests.ingestion.test_download import FakeInstagram  # noqa: E402


@contextmanager
def counted_id_reads() -> Iterator[Counter]:
    """Count the reads of files named ``id`` made with ``Path.read_text`` meanwhile."""
    reads: Counter = Counter()
    read_text = Path.read_text

    def counting(path: Path, *args, **kwargs) -> str:
        if path.name == "id":
            reads["id"] += 1
        return read_text(path, *args, **kwargs)

    Path.read_text = counting
    try:
        yield reads
    finally:
        Path.read_text = read_text


@contextmanager
def counted_stamps_writes() -> Iterator[Counter]:
    """Count the writes of ``latest-stamps.ini`` meanwhile (``writes``; instaloader's
    ``LatestStamps`` writes it with ``ConfigParser.write``) and the characters written
    (``chars``)."""
    written: Counter = Counter()
    write = configparser.ConfigParser.write

    def counting(parser, stream, *args, **kwargs) -> None:
        text = io.StringIO()
        write(parser, text, *args, **kwargs)
        written["writes"] += 1
        written["chars"] += len(text.getvalue())
        stream.write(text.getvalue())

    configparser.ConfigParser.write = counting
    try:
        yield written
    finally:
        configparser.ConfigParser.write = write


@contextmanager
def served_by(fake: FakeInstagram) -> Iterator[list[float]]:
    """Answer every HTTP request from ``fake`` meanwhile; yield a list that then holds the
    seconds the fake took to answer."""
    send = requests.adapters.HTTPAdapter.send
    answering = [0.0]

    def timed_send(_adapter, request, **_kw):
        start = time.perf_counter()
        try:
            return fake.send(request)
        finally:
            answering[0] += time.perf_counter() - start

    requests.adapters.HTTPAdapter.send = timed_send
    try:
        yield answering
    finally:
        requests.adapters.HTTPAdapter.send = send


def timed_download(
    fake: FakeInstagram, names: list[str], target: Path
) -> tuple[float, int, Counter]:
    """Download ``names`` into ``target``; return the seconds the download took besides the
    fake's answers, the ``id`` files read and the writes of ``latest-stamps.ini``
    (:func:`counted_stamps_writes`)."""
    loader = make_loader(target, sleep=lambda _s: None, pause_between_requests=False)
    with (
        served_by(fake) as answering,
        counted_id_reads() as reads,
        counted_stamps_writes() as written,
    ):
        start = time.perf_counter()
        report = download_profiles(
            names,
            target,
            loader=loader,
            max_posts_per_profile=None,
            sleep=lambda _s: None,
            rng=random.Random(0),
        )
        seconds = time.perf_counter() - start - answering[0]
    failed = {name: o["status"] for name, o in report.items() if o["status"] != "ok"}
    if failed:
        raise RuntimeError(f"accounts not downloaded: {failed}")
    return seconds, reads["id"], written


def failing_account(posts: int, failing: str | None) -> tuple[FakeInstagram, str]:
    """A fake Instagram with one account of ``posts`` posts, one a day, whose ``failing``
    post (``newest``, ``middle``, ``oldest``; None: none) Instagram never gives."""
    fake = FakeInstagram(page_size=12)
    name = fake.add_account("person.failing", 1)
    for day in range(posts - 1):
        fake.add_post(name, f"Post{day:05d}", 1700200000 + day * 86400)
    codes = [media["code"] for media in fake.accounts[name]["media"]]
    if failing is not None:
        fake.withhold_metadata(
            {"newest": codes[0], "middle": codes[posts // 2]}.get(failing, codes[-1])
        )
    return fake, name


def measure_updates(posts: int, failing: str | None, updates: int) -> dict[str, float]:
    """Requests and posts asked for per daily update of ``failing_account(posts, failing)``."""
    fake, name = failing_account(posts, failing)
    with tempfile.TemporaryDirectory() as folder, served_by(fake):
        target = Path(folder)

        def download(update: str) -> dict:
            loader = make_loader(target, sleep=lambda _s: None, pause_between_requests=False)
            report = download_profiles(
                [name],
                target,
                loader=loader,
                max_posts_per_profile=None,
                update=update,
                sleep=lambda _s: None,
                rng=random.Random(0),
            )
            return report[name]

        download("all")
        fake.requests.clear()
        fake.metadata_served.clear()
        for day in range(updates):
            fake.add_post(name, f"New{day:03d}", 1700200000 + (posts + day) * 86400)
            outcome = download("new_posts")
            if outcome["status"] != "ok" or outcome["new_posts"] != 1:
                raise RuntimeError(f"update {day} of {name}: {outcome}")
    return {
        "requests": len(fake.requests) / updates,
        "posts_asked": sum(fake.metadata_served.values()) / updates,
    }


def measure(size: int, posts: int) -> dict[str, float]:
    """The first download of ``size`` accounts and a second run with one more."""
    fake = FakeInstagram(page_size=12)
    names = [fake.add_account(f"person.{i:05d}", posts) for i in range(size + 1)]
    with tempfile.TemporaryDirectory() as folder:
        first_s, first_reads, _ = timed_download(fake, names[:size], Path(folder))
        second_s, second_reads, second_writes = timed_download(fake, names, Path(folder))
    return {
        "first_s": first_s,
        "per_account_ms": 1000 * first_s / size,
        "id_reads_per_account": first_reads / size,
        "second_s": second_s,
        "second_id_reads": second_reads,
        "second_stamps_writes": second_writes["writes"],
        "second_stamps_kib": second_writes["chars"] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400, 800])
    parser.add_argument("--posts", type=int, default=1)
    parser.add_argument("--failing-profile-posts", type=int, default=200)
    parser.add_argument("--updates", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(
        "| accounts | first download s | ms / account | ratio to the smallest | id reads / "
        "account | +1 account: s | +1 account: id reads | +1 account: stamps writes | +1 "
        "account: stamps KiB written |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    baseline = None
    for size in sorted(args.sizes):
        row = measure(size, args.posts)
        baseline = baseline or row["per_account_ms"]
        print(
            f"| {size} | {row['first_s']:.1f} | {row['per_account_ms']:.1f} | "
            f"{row['per_account_ms'] / baseline:.2f} | {row['id_reads_per_account']:.2f} | "
            f"{row['second_s']:.1f} | {row['second_id_reads']} | "
            f"{row['second_stamps_writes']} | {row['second_stamps_kib']:.0f} |"
        )
    print(
        f"\nDaily updates of an account of {args.failing_profile_posts} posts, one always failing"
    )
    print("| failing post | requests / update | posts asked for / update | ratio to none |")
    print("|---|---:|---:|---:|")
    baseline = None
    for failing in (None, "newest", "middle", "oldest"):
        row = measure_updates(args.failing_profile_posts, failing, args.updates)
        baseline = baseline or row["requests"]
        print(
            f"| {failing or 'none (baseline)'} | {row['requests']:.1f} | "
            f"{row['posts_asked']:.1f} | {row['requests'] / baseline:.1f} |"
        )


if __name__ == "__main__":
    main()
