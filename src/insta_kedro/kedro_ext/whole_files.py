"""Outputs that appear at their path whole, or not at all.

kedro-datasets write a file in place: a run killed while saving, or a save that fails half
way (a value the format cannot hold), leaves a file cut short where the last run's complete
one was, and the web app, reading the outputs while a run writes them, can read one half
written. :func:`written_whole` writes beside the path and moves the file there once it is
complete: a reader finds the previous file or the new one, and a failed save leaves the
previous one as it was. :class:`WholeFileSave` gives a kedro-datasets file dataset such saves.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import Any

from fsspec import AbstractFileSystem
from kedro.io.core import get_filepath_str


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


class WholeFileSave:
    """Mixin, before a kedro-datasets file dataset among the bases (``class
    JSONDataset(WholeFileSave, json.JSONDataset)``): the dataset's own ``save`` writes the
    same file beside its path (its save path is the partial file meanwhile), and the file is
    moved to the path once it is whole (:func:`written_whole`). A versioned dataset
    (``versioned: true``) saves as it does: each save is a new file of its own, and Kedro
    looks for it as soon as it is written."""

    _partial_path: str | None = None

    def save(self, data: Any) -> None:
        """Save ``data`` as the dataset does, then move the file to its path whole."""
        if getattr(self, "_version", None) is not None:
            super().save(data)
            return
        path = get_filepath_str(self._get_save_path(), self._protocol)
        with written_whole(self._fs, path) as partial:
            self._partial_path = partial
            try:
                super().save(data)
            finally:
                self._partial_path = None

    def _get_save_path(self) -> PurePosixPath:
        if self._partial_path is not None:
            return PurePosixPath(self._partial_path)
        return super()._get_save_path()
