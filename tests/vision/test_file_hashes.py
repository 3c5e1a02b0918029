"""Tests of the file hashes: the digests of a file's bytes."""

import hashlib

from insta_kedro.vision.file_hashes import hash_file


def test_hash_file_gives_sha256_and_md5_of_the_bytes(tmp_path):
    path = tmp_path / "weights.h5"
    path.write_bytes(b"pretend weights " * 100_000)  # more than one 1 MiB chunk
    data = path.read_bytes()
    assert hash_file(path) == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }
    assert hash_file(path, ("sha256",)) == {"sha256": hashlib.sha256(data).hexdigest()}
