"""Outputs that appear at their path whole, or not at all.

kedro-datasets write a file in place: a run killed while saving, or a save that fails half
way (a value the format cannot hold), leaves a file cut short where the last run's complete
one was, and the web app, reading the outputs while a run writes them, can read one half
written. :func:`written_whole` writes beside the path and moves the file there once it is
complete: a reader finds the previous file or the new one, and a failed save leaves the
previous one as it was.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fsspec import AbstractFileSystem


@contextmanager
def written_whole(fs: AbstractFileSystem, path: str) -> Iterator[str]:
    """The path to write the file ``path`` of the filesystem ``fs`` to: a partial file beside
    it (``<path>.partial-<random>``), moved to ``path`` when the block ends without an error
    (a rename on a local disk: readers never see it half written) and removed when it ends
    with one."""
    partial = f"{path}.partial-{uuid.uuid4().hex[:8]}"
    try:
        yield partial
        fs.mv(partial, path)
    finally:
        if fs.exists(partial):
            fs.rm(partial)
