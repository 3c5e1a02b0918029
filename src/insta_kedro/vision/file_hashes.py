"""Hashes of a file's bytes, e.g. the sha256 that fingerprints a local VGG16 weights file."""

import hashlib
from pathlib import Path


def hash_file(path: Path, algorithms: tuple[str, ...] = ("sha256", "md5")) -> dict[str, str]:
    """Hex digests of a file's bytes by algorithm name, the file read once in 1 MiB chunks.

    ``path``: the file; ``algorithms``: ``hashlib`` names. Returns ``{name: hex digest}``.
    """
    digests = {name: hashlib.new(name, usedforsecurity=False) for name in algorithms}
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            for digest in digests.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in digests.items()}
