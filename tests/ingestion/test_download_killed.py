"""The live download survives a SIGKILL: the rerun fetches no media file of a post already on
disk, and every post ends whole, its metadata file loading.

Each download is a process of its own, with Instagram faked as in ``test_download``
(``FakeInstagram`` answering ``requests``' transport). The first is held, by a sleep, in the
middle of writing the third post's metadata file (the file that marks a post as complete)
and killed there with SIGKILL; the second runs to the end. Both log every media file and
post metadata that Instagram serves them.
"""

import json
import lzma
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import instaloader
import pytest

from insta_kedro.ingestion.download import LATEST_STAMPS_FILE
from tests.ingestion.test_download import FakeInstagram

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROFILES = ["anna.cooks", "ben_hikes"]

# argv: download folder, log of what Instagram served, where to stop ("third-post",
# "stamps-write": after a new post of anna.cooks, half-way through writing the update stamps,
# or "never"), the run's name. The last line of the output is the report's statuses.
WORKER = """
import io, json, os, random, sys, time
from pathlib import Path

import instaloader.instaloader
import requests

from insta_kedro.ingestion.download import download_profiles, make_loader
from tests.ingestion.test_download import DOC_MEDIA_BY_SHORTCODE, FakeInstagram

target, log, stop, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
fake = FakeInstagram()
media_file, graphql = fake.media_file, fake.graphql


def served(kind, what):
    with open(log, "a") as stream:
        stream.write(f"{name} {kind} {what}\\n")


def logged_media_file(request, path):
    served("media", path.rsplit("/", 1)[-1])
    return media_file(request, path)


def logged_graphql(doc_id, variables):
    if doc_id == DOC_MEDIA_BY_SHORTCODE:
        served("metadata", variables["shortcode"])
    return graphql(doc_id, variables)


fake.media_file, fake.graphql = logged_media_file, logged_graphql
requests.adapters.HTTPAdapter.send = lambda _adapter, request, **_kw: fake.send(request)
if stop == "third-post":
    save = instaloader.instaloader.save_structure_to_file
    posts = []

    def save_half_then_hold(structure, filename):
        save(structure, filename)
        if filename.endswith("_UTC.json.xz"):
            posts.append(filename)
            if len(posts) == 3:
                os.truncate(filename, os.path.getsize(filename) // 2)
                print("holding", flush=True)
                time.sleep(600)

    instaloader.instaloader.save_structure_to_file = save_half_then_hold
if stop == "stamps-write":
    import configparser

    fake.add_post("anna.cooks", "DemoAnnaA09", 1700500000)
    write = configparser.ConfigParser.write

    def write_half_then_hold(parser, stream, *args, **kwargs):
        text = io.StringIO()
        write(parser, text, *args, **kwargs)
        stream.write(text.getvalue()[: len(text.getvalue()) // 2])
        stream.flush()
        print("holding", flush=True)
        time.sleep(600)

    configparser.ConfigParser.write = write_half_then_hold
loader = make_loader(target, sleep=lambda seconds: None, pause_between_requests=False)
report = download_profiles(
    sys.argv[5].split(","),
    target,
    max_posts_per_profile=None,
    loader=loader,
    sleep=lambda seconds: None,
    rng=random.Random(0),
)
print(json.dumps({profile: outcome["status"] for profile, outcome in report.items()}))
"""


def start_worker(tmp_path: Path, name: str, stop: str) -> subprocess.Popen:
    """Start a download in a new process; its output goes to ``<name>.log``."""
    args = [str(tmp_path / "dl"), str(tmp_path / "served.log"), stop, name, ",".join(PROFILES)]
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)]),
        },
        stdout=(tmp_path / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def served(tmp_path: Path, run: str, kind: str) -> Counter[str]:
    """What Instagram served ``run``: the media file names of posts (``kind="media"``; the
    profile pictures, fetched by every run, left out) or the shortcodes of the posts whose
    metadata it asked for (``"metadata"``)."""
    lines = (tmp_path / "served.log").read_text().splitlines()
    names = [line.split()[2] for line in lines if line.split()[:2] == [run, kind]]
    return Counter(name for name in names if "-pic" not in name)


def metadata_files(tmp_path: Path) -> dict[Path, bool]:
    """Every post metadata file on disk, and whether it loads as a post."""
    context = instaloader.Instaloader(quiet=True).context
    loads = {}
    for path in sorted((tmp_path / "dl").glob("*/*_UTC.json.xz")):
        try:
            post = instaloader.load_structure_from_file(context, str(path))
            loads[path] = isinstance(post, instaloader.Post)
        except (lzma.LZMAError, EOFError, ValueError, KeyError):
            loads[path] = False
    return loads


def test_a_killed_download_resumes_without_fetching_a_finished_post_again(tmp_path):
    first = start_worker(tmp_path, "first", "third-post")
    deadline = time.monotonic() + 120
    # held once the third post's file is cut in half (seen before that, it is still whole)
    while "holding" not in (tmp_path / "first.log").read_text():
        if first.poll() is not None or time.monotonic() > deadline:
            first.kill()
            pytest.fail((tmp_path / "first.log").read_text()[-3000:])
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    before = metadata_files(tmp_path)
    assert sorted(before.values()) == [False, True, True]  # two whole posts, one half-written

    second = start_worker(tmp_path, "second", "never")
    assert second.wait(timeout=120) == 0, (tmp_path / "second.log").read_text()[-3000:]
    report = json.loads((tmp_path / "second.log").read_text().strip().splitlines()[-1])
    assert report == dict.fromkeys(PROFILES, "ok")

    fake = FakeInstagram()
    media = set().union(*(fake.media_urls(profile) for profile in PROFILES))
    first_media = served(tmp_path, "first", "media")
    second_media = served(tmp_path, "second", "media")
    # every media file fetched once over both runs: none of a post on disk is fetched again
    assert first_media + second_media == Counter(dict.fromkeys(media, 1))
    after = metadata_files(tmp_path)
    assert len(after) == 8 and all(after.values())  # the half-written one written again
    leftovers = [p.name for p in (tmp_path / "dl").glob("*/*") if p.suffix == ".temp"]
    assert leftovers == [] and not list((tmp_path / "dl").glob("*/iterator_*"))


def test_a_download_killed_while_writing_its_update_stamps_keeps_them(tmp_path):
    """instaloader rewrites ``latest-stamps.ini`` in place; a run killed half-way through
    writing it must leave every profile's stamp (a lost stamp makes the next update walk the
    whole profile)."""
    first = start_worker(tmp_path, "first", "never")
    assert first.wait(timeout=120) == 0, (tmp_path / "first.log").read_text()[-3000:]
    stamps_file = tmp_path / "dl" / LATEST_STAMPS_FILE
    before = instaloader.LatestStamps(str(stamps_file))
    stamps = {profile: before.get_last_post_timestamp(profile) for profile in PROFILES}

    second = start_worker(tmp_path, "second", "stamps-write")
    deadline = time.monotonic() + 120
    while "holding" not in (tmp_path / "second.log").read_text():
        if second.poll() is not None or time.monotonic() > deadline:
            second.kill()
            pytest.fail((tmp_path / "second.log").read_text()[-3000:])
        time.sleep(0.02)
    second.send_signal(signal.SIGKILL)
    assert second.wait(timeout=30) == -signal.SIGKILL

    after = instaloader.LatestStamps(str(stamps_file))
    assert {profile: after.get_last_post_timestamp(profile) for profile in PROFILES} == stamps
