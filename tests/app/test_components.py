"""Pieces the pages share."""

import gc
import json
import os
import threading
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

from insta_kedro.app.components import (
    OutputCache,
    output_cache,
    random_encoders,
    shown,
    shown_caption,
)
from tests.app.conftest import texts


def test_random_weights_are_reported_only_when_an_image_was_encoded():
    feature = np.zeros(4, np.float32)
    encoded = pd.DataFrame(
        {"encoder": ["vgg16-fc2-random", "vgg16-fc2-random"], "feature": [feature, None]}
    ).assign(error=[None, "cannot decode image"])
    assert random_encoders(encoded) == ["vgg16-fc2-random"]
    # a download without photos: every row an error, no image seen by random weights
    assert random_encoders(encoded.assign(error="no usable image")) == []
    assert random_encoders(None) == [] and random_encoders(encoded.iloc[:0]) == []


def test_shown_makes_an_outside_value_safe_for_a_message():
    assert shown("anna.cooks") == "anna.cooks"
    assert shown("a\x00b\n`c`") == "a\\x00b\\n'c'"
    assert shown("x" * 500) == "x" * 80 + "… (500 characters)"


def test_shown_caption_cuts_long_captions():
    assert shown_caption("  short one ", limit=20) == "short one"
    assert shown_caption(None, limit=20) == shown_caption("  ", limit=20) == "(no caption)"
    cut = shown_caption("word " * 100, limit=20)
    assert len(cut) <= 20 and cut.endswith("…")


def test_a_new_version_of_an_output_replaces_the_old_one():
    cache, loads = OutputCache(), []

    def load(version: int):
        def read() -> pd.DataFrame:
            loads.append(version)
            return pd.DataFrame({"version": [version]})

        return read

    first = cache.get("posts", 1, load(1))
    assert cache.get("posts", 1, load(1)) is first and loads == [1]
    old = weakref.ref(first)
    del first
    second = cache.get("posts", 2, load(2))
    gc.collect()
    assert old() is None  # the run before is let go
    assert second["version"].tolist() == [2] and loads == [1, 2]
    assert cache.versions() == {"posts": 2}


def test_an_output_asked_for_by_many_sessions_at_once_is_loaded_once():
    cache, loads, started = OutputCache(), [], threading.Barrier(8)

    def read() -> list[int]:
        loads.append(1)
        return [len(loads)]

    def session(results: list) -> None:
        started.wait()
        results.append(cache.get("user_characterizations", 7, read))

    results: list = []
    threads = [threading.Thread(target=session, args=(results,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1] and all(result is results[0] for result in results)


def test_a_new_run_s_output_is_shown_and_the_old_one_dropped(project_with_outputs: Path, run_page):
    app = run_page("person")
    assert "anna.cooks (Anna Cooks)" in texts(app)
    path = project_with_outputs / "data/08_reporting/user_characterizations.json"
    characterizations = json.loads(path.read_text())
    characterizations["anna.cooks"]["full_name"] = "Anna Bakes"
    path.write_text(json.dumps(characterizations))
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))  # a kedro run a second later
    run_page("person", app)
    assert "anna.cooks (Anna Bakes)" in texts(app)
    held = [
        version
        for (project, dataset), version in output_cache().versions().items()
        if project == str(project_with_outputs.resolve()) and dataset == "user_characterizations"
    ]
    assert held == [later]
