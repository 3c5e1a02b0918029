"""Tests of the image manifest: each post's image hashed, or the reason it has no hash."""

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from insta_kedro.vision.manifest import (
    FILE_NOT_FOUND,
    NO_IMAGE,
    UNREADABLE_FILE,
    build_image_manifest,
    hash_image,
)


@pytest.fixture
def posts(tmp_path) -> pd.DataFrame:
    """A photo, a copy of it, an undecodable file, a missing file, no image."""
    (tmp_path / "sun.jpg").write_bytes(b"\xff\xd8\xff sun bytes")
    (tmp_path / "copy.jpg").write_bytes((tmp_path / "sun.jpg").read_bytes())
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff broken")
    paths = ["sun.jpg", "copy.jpg", "corrupt.jpg", "missing.jpg"]
    return pd.DataFrame(
        {
            "post_id": ["p1", "p2", "p3", "p4", "p5"],
            "image_path": [str(tmp_path / p) for p in paths] + [None],
        }
    )


def test_build_image_manifest_hashes_files_and_says_why_others_have_no_hash(posts):
    manifest = build_image_manifest(posts)
    expected = hashlib.sha256(Path(posts.loc[0, "image_path"]).read_bytes()).hexdigest()
    assert list(manifest.columns) == ["post_id", "image_path", "image_sha256", "error"]
    assert manifest.loc[0, "image_sha256"] == expected
    assert manifest.loc[1, "image_sha256"] == expected  # same bytes, same hash
    assert manifest.loc[2, "image_sha256"] is not None  # hashed: decoding is not tried here
    assert list(manifest["error"]) == [None, None, None, FILE_NOT_FOUND, NO_IMAGE]
    assert list(manifest["post_id"]) == list(posts["post_id"])


@pytest.mark.parametrize("image_path", [None, float("nan"), "", "   "])
def test_a_post_without_an_image_path_has_no_image(image_path):
    assert hash_image(image_path) == (None, None, NO_IMAGE)


def test_a_file_that_cannot_be_read_says_so(tmp_path, monkeypatch):
    image = tmp_path / "locked.jpg"
    image.write_bytes(b"bytes")

    def unreadable(*args):
        raise PermissionError("no")

    monkeypatch.setattr("insta_kedro.vision.manifest.hash_file", unreadable)
    assert hash_image(str(image)) == (str(image), None, UNREADABLE_FILE)


def _photo_behind(kind: str, folder: Path) -> Path:
    """A path to a photo that the file system cannot look at (``kind``): a name longer than
    a file name may be (ENAMETOOLONG), or a photo in a folder that may not be entered
    (EACCES for a user other than root)."""
    if kind == "name too long":
        return folder / f"{'a' * 300}.jpg"
    locked = folder / "locked"
    locked.mkdir()
    (locked / "photo.jpg").write_bytes(b"\xff\xd8\xff bytes")
    locked.chmod(0)
    return locked / "photo.jpg"


@pytest.mark.parametrize(
    "kind",
    [
        "name too long",
        pytest.param(
            "folder not entered",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root enters every folder"),
        ),
    ],
)
def test_a_path_that_cannot_be_looked_at_is_an_unreadable_photo_among_the_others(
    posts, tmp_path, kind
):
    behind = _photo_behind(kind, tmp_path)
    try:
        with pytest.raises(OSError):
            behind.stat()  # what Path.is_file() raises too
        manifest = build_image_manifest(
            pd.concat([posts, pd.DataFrame({"post_id": ["p6"], "image_path": [str(behind)]})])
        )
    finally:
        behind.parent.chmod(0o755)
    assert list(manifest["error"]) == [None, None, None, FILE_NOT_FOUND, NO_IMAGE, UNREADABLE_FILE]
    assert manifest.loc[5, "image_path"] == str(behind)
    assert manifest.loc[5, "image_sha256"] is None


def test_no_file_at_the_path_is_a_photo_not_found(tmp_path):
    (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
    (tmp_path / "a_file").write_bytes(b"")
    (tmp_path / "a_folder.jpg").mkdir()
    for path in ("loop.jpg", "a_file/photo.jpg", "a_folder.jpg"):
        assert hash_image(str(tmp_path / path)) == (str(tmp_path / path), None, FILE_NOT_FOUND)
