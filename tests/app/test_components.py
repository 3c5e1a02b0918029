"""Pieces the pages share."""

import gc
import io
import json
import os
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from insta_kedro.app.components import (
    _load_characterizations,
    download_changed,
    image_bytes,
    random_encoders,
    shown,
    shown_caption,
)
from insta_kedro.app.images import MAX_FILE_MB, MB, FileTooLargeError, NotAnImageError
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


def test_a_new_run_s_output_is_shown_and_the_old_one_let_go(project_with_outputs: Path, run_page):
    app = run_page("person")
    assert "anna.cooks (Anna Cooks)" in texts(app)
    project = str(project_with_outputs.resolve())
    held = _load_characterizations(project)
    assert _load_characterizations(project) is held  # loaded once per version
    old = weakref.ref(held)
    path = project_with_outputs / "data/08_reporting/user_characterizations.json"
    characterizations = json.loads(path.read_text())
    characterizations["anna.cooks"]["full_name"] = "Anna Bakes"
    path.write_text(json.dumps(characterizations))
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))  # a kedro run a second later
    del held
    run_page("person", app)
    assert "anna.cooks (Anna Bakes)" in texts(app)
    gc.collect()
    assert old() is None  # the run before is not held any more
    assert _load_characterizations(project).modified_ns == later


def test_characterizations_of_the_last_download_say_nothing():
    assert download_changed(["ann", "bob"], {"bob": {}, "ann": {}}) is None


def test_characterizations_of_an_earlier_download_name_the_profiles_it_changed():
    message = download_changed(["ann", "cat", "dan"], {"ann": {}, "bob": {}})
    assert "2 profiles downloaded since (`cat`, `dan`)" in message
    assert "1 profile no longer downloaded (`bob`)" in message
    assert "`kedro run`" in message


def test_pages_of_people_say_when_the_download_changed_since_clustering(
    project_with_outputs: Path, run_page
):
    """`kedro run --pipelines=ingestion` after an account was added: the people's pages are
    still those of the earlier run, and say so."""
    path = project_with_outputs / "data/02_intermediate/profiles.parquet"
    profiles = pd.read_parquet(path)
    added = profiles.iloc[:1].assign(profile="dora.dives")
    pd.concat([profiles, added]).to_parquet(path)
    for page in ("person", "circle", "overview"):
        app = run_page(page)
        assert "1 profile downloaded since (`dora.dives`)" in texts(app), page


def _peak_bytes_read(image_path: str, error: type[Exception]) -> int:
    """The most bytes Python held while ``image_bytes`` refused ``image_path`` with ``error``."""
    tracemalloc.start()
    try:
        with pytest.raises(error):
            image_bytes(image_path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_big_file_named_like_a_photo_is_refused_without_being_read(
    project_with_outputs: Path,
):
    """A file of 200 MB named `.jpg` that is no image (a video, a partial download): the page
    read the whole of it, on every rerun, before it looked at its header."""
    folder = project_with_outputs / "data/01_raw/demo/anna.cooks"
    photo = next(folder.glob("*.jpg"))
    assert image_bytes(str(photo)) == photo.read_bytes()  # the catalog opened
    notes = folder / "notes.jpg"
    notes.write_text("not a photo")
    with pytest.raises(NotAnImageError):  # Pillow's plugins loaded
        image_bytes(str(notes))
    big = folder / "big.jpg"
    with big.open("wb") as file:
        file.truncate(200 * MB)
    assert _peak_bytes_read(str(big), NotAnImageError) < MB


def test_an_image_file_over_the_limit_is_refused_without_being_read(project_with_outputs: Path):
    """A real PNG header followed by more bytes than a page reads (`images.MAX_FILE_MB`)."""
    folder = project_with_outputs / "data/01_raw/demo/anna.cooks"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    image_bytes(str(next(folder.glob("*.jpg"))))  # the catalog opened, Pillow loaded
    big = folder / "big.png"
    with big.open("wb") as file:
        file.write(buffer.getvalue())
        file.truncate((MAX_FILE_MB + 1) * MB)
    assert _peak_bytes_read(str(big), FileTooLargeError) < MB
    with pytest.raises(FileTooLargeError, match=rf"51.0 MB .*over the {MAX_FILE_MB} MB "):
        image_bytes(str(big))


def test_characterizations_of_profiles_whose_posts_changed_say_so():
    people = {"ann": {"posting": {"posts": 4}}, "bob": {"posting": {"posts": 5}}}
    assert download_changed(["ann", "bob"], people, {"ann": 4, "bob": 5}) is None
    message = download_changed(["ann", "bob"], people, {"ann": 6, "bob": 3, "cat": 2})
    assert "2 profiles whose posts changed since (`ann` 4 → 6 posts, `bob` 5 → 3 posts)" in message
    assert "downloaded since" not in message  # `cat` is no profile of the last ingestion
    # no count to compare: the names alone decide
    assert download_changed(["ann", "bob"], {"ann": {}, "bob": {"posting": {}}}, {"ann": 1}) is None


def test_pages_of_people_say_when_a_profile_got_new_posts_since_clustering(
    project_with_outputs: Path, run_page
):
    """`kedro run --pipelines=ingestion` after anna.cooks posted twice (or a `kedro run` that
    stopped after its ingestion): the same profiles, so no page said the people shown are of
    an earlier download."""
    data = project_with_outputs / "data"
    posts = pd.read_parquet(data / "02_intermediate/posts.parquet")
    new = posts[posts["profile"] == "anna.cooks"].head(2).assign(post_id=["ANNA8", "ANNA9"])
    pd.concat([posts, new]).to_parquet(data / "02_intermediate/posts.parquet")
    path = data / "08_reporting/ingestion_report.json"
    report = json.loads(path.read_text())
    report["profiles"]["anna.cooks"]["posts_parsed"] += 2
    path.write_text(json.dumps(report))
    for page in ("person", "circle", "overview"):
        app = run_page(page)
        assert "1 profile whose posts changed since (`anna.cooks` 4 → 6 posts)" in texts(app), page
