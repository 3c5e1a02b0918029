"""Tests of the file hash memo: hashes read once, read again whenever the file changes."""

import hashlib
import json
import logging
import os

import pytest

from insta_kedro.vision import file_hashes
from insta_kedro.vision.file_hashes import FileHashMemo, hash_file


@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "weights.h5"
    path.write_bytes(b"pretend weights " * 1000)
    return path


@pytest.fixture
def count_reads(monkeypatch):
    reads = []

    def counting_hash_file(path):
        reads.append(path)
        return hash_file(path)

    monkeypatch.setattr(file_hashes, "hash_file", counting_hash_file)
    return reads


def test_hash_file_gives_sha256_and_md5_of_the_bytes(weights_file):
    data = weights_file.read_bytes()
    assert hash_file(weights_file) == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }


def test_an_unchanged_file_is_read_once_even_across_memo_instances(
    weights_file, tmp_path, count_reads
):
    memo_path = tmp_path / "memo" / "hashes.json"
    first = FileHashMemo(memo_path).hashes(weights_file)
    second = FileHashMemo(memo_path).hashes(weights_file)  # a later run
    assert first == second == hash_file(weights_file)
    assert len(count_reads) == 1
    assert FileHashMemo(memo_path).known(weights_file) == first


def test_a_changed_file_is_hashed_again(weights_file, tmp_path, count_reads):
    memo_path = tmp_path / "hashes.json"
    before = FileHashMemo(memo_path).hashes(weights_file)
    stat = weights_file.stat()
    weights_file.write_bytes(b"other weights!! " * 1000)  # same size, new bytes
    os.utime(weights_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    memo = FileHashMemo(memo_path)
    assert memo.known(weights_file) is None
    after = memo.hashes(weights_file)
    assert after != before and after == hash_file(weights_file)
    assert len(count_reads) == 2


def test_a_file_replaced_by_another_with_the_same_times_is_hashed_again(
    weights_file, tmp_path, count_reads
):
    memo_path = tmp_path / "hashes.json"
    FileHashMemo(memo_path).hashes(weights_file)
    stat = weights_file.stat()
    replacement = tmp_path / "replacement.h5"
    replacement.write_bytes(b"other weights!! " * 1000)
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(weights_file)  # new inode (and change time), same size and mtime

    assert FileHashMemo(memo_path).known(weights_file) is None
    assert FileHashMemo(memo_path).hashes(weights_file) == hash_file(weights_file)


def test_an_unreadable_memo_is_ignored_and_written_again(weights_file, tmp_path, caplog):
    memo_path = tmp_path / "hashes.json"
    memo_path.write_text('{"truncated": ')
    with caplog.at_level(logging.WARNING, logger="insta_kedro.vision.file_hashes"):
        hashes = FileHashMemo(memo_path).hashes(weights_file)
    assert "unreadable" in caplog.text
    assert json.loads(memo_path.read_text())[str(weights_file.resolve())]["md5"] == hashes["md5"]


def test_without_a_memo_path_nothing_is_written(weights_file, tmp_path, count_reads):
    memo = FileHashMemo(None)
    memo.hashes(weights_file)
    assert memo.known(weights_file) is not None  # remembered in memory for this run
    assert list(tmp_path.iterdir()) == [weights_file]
    assert FileHashMemo(None).known(weights_file) is None
