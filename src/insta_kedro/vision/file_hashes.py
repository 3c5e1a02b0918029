"""sha256 and md5 of large files, remembered so that a re-run does not read them again.

VGG16's weights file is 528 MB: hashing it took about 1 s on every run here, and Keras's
own check of the ImageNet file (``get_file`` with ``file_hash``) as long again, even on a run
whose features all come from the cache. ``FileHashMemo`` keeps each file's hashes in a small
JSON file together with the file's size, inode, modification and change times. Writing to
the file, copying or moving another file over it, or touching it changes at least one of
those, and the file is hashed again; only a file whose identity is unchanged is trusted.

Example:
    >>> memo = FileHashMemo("data/04_feature/image_feature_cache/weights_file_hashes.json")
    >>> memo.hashes(Path("~/.keras/models/vgg16.h5").expanduser())   # reads the file once
    {'sha256': '…', 'md5': '…'}
    >>> memo.known(path)        # the same dict without reading, or None if the file changed
"""

import hashlib
import json
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def hash_file(path: Path, algorithms: tuple[str, ...] = ("sha256", "md5")) -> dict[str, str]:
    """Hex digests of a file's bytes by algorithm name, the file read once in 1 MiB chunks."""
    digests = {name: hashlib.new(name, usedforsecurity=False) for name in algorithms}
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            for digest in digests.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def _identity(path: Path) -> list[int]:
    """What changes whenever the file's bytes may have changed."""
    stat = path.stat()
    return [stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]


class FileHashMemo:
    """Hashes of files by absolute path, valid while the file's identity is unchanged.

    ``memo_path=None`` remembers nothing (every call hashes). An unreadable memo file is
    ignored with a warning and written again.
    """

    def __init__(self, memo_path: str | Path | None):
        self.memo_path = Path(memo_path) if memo_path is not None else None
        self._entries = self._read()

    def _read(self) -> dict:
        if self.memo_path is None or not self.memo_path.exists():
            return {}
        try:
            entries = json.loads(self.memo_path.read_text())
        except (OSError, ValueError) as error:
            logger.warning("file hash memo %s unreadable (%s): ignored", self.memo_path, error)
            return {}
        return entries if isinstance(entries, dict) else {}

    def known(self, path: Path) -> dict[str, str] | None:
        """The remembered hashes of ``path`` if it is unchanged since, else None."""
        entry = self._entries.get(str(Path(path).resolve()))
        try:
            unchanged = entry is not None and entry.get("identity") == _identity(Path(path))
        except OSError:
            return None
        return {"sha256": entry["sha256"], "md5": entry["md5"]} if unchanged else None

    def hashes(self, path: Path) -> dict[str, str]:
        """The hashes of ``path``: remembered ones, or read from the file and remembered."""
        if (remembered := self.known(path)) is not None:
            return remembered
        path = Path(path)
        identity = _identity(path)
        hashes = hash_file(path)
        if identity == _identity(path):  # not changed while it was read
            self._entries[str(path.resolve())] = {"identity": identity, **hashes}
            self._write()
        return hashes

    def _write(self) -> None:
        if self.memo_path is None:
            return
        self.memo_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.memo_path.with_name(f".{self.memo_path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(self._entries, indent=1, sort_keys=True))
        partial.replace(self.memo_path)  # atomic: a reader never sees half a file
