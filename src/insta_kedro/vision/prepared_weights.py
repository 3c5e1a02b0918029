"""The image encoder's weights as its network holds them, saved while they are made and mapped
from disk on later runs.

Building VGG16 means 138M weights: drawn (seeded random weights) or read from a 528 MB file
and rounded to bfloat16, into memory whose first touch is slow on a virtual machine. A run
that only adds a few photos paid all of that for a couple of forward passes. Now the first
build of a configuration draws or reads each weight straight into a ``.npy`` file mapped
into memory (``PreparedWeightsWriter``), in the network's own precision (bfloat16 bit
patterns or float32), so making the weights is saving them: no second copy is written.
Later builds map those files copy-on-write (nothing is ever written back) and hand them to
TensorFlow without a copy: the pages come from the operating system's file cache.

Layout under the feature cache root (``prepared_weights/`` in ``image_features.cache_dir``)::

    <key>/                 one folder per weights fingerprint, precision and set of layers
        manifest.json      layer name -> its arrays' files; written last
        <layer>.<i>.npy    kernel (i=0) and bias (i=1); .npy data starts 64-byte aligned

A set is written under a temporary name and renamed into place when whole, so a crash never
leaves a half-written set under a real key. Only the ``keep`` most recently used sets stay.

Example:
    >>> store = PreparedWeights("data/04_feature/image_feature_cache/prepared_weights", key)
    >>> weights = store.load()          # None until a build has saved them
    >>> kernel, bias = weights.layer("fc1")      # mapped, not read
    >>> with store.writer() as writer:  # a first build
    ...     kernel = writer.allocator("fc1")((25088, 4096), np.dtype(np.uint16))
"""

import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from insta_kedro.vision.encoder_weights import (
    TENSOR_ALIGNMENT,
    Allocate,
    aligned_empty,
    tensor_as_array,
)

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
STALE_AFTER_S = 3600  # a temporary set not written to for this long belongs to a dead build


def _mark_used(manifest: Path) -> None:
    """The manifest's modification time says when a set was last used (``_prune`` keeps the
    latest); set from the fine clock, as the file system's own is coarser."""
    now = time.time_ns()
    os.utime(manifest, ns=(now, now))


class MappedWeights:
    """The saved arrays of one set, mapped copy-on-write on request: the same ``layer(name)``
    interface as ``Keras2Hdf5Weights``, for ``vgg16_network``."""

    def __init__(self, folder: Path, files_by_layer: dict[str, list[str]]):
        self.folder = folder
        self.files_by_layer = files_by_layer

    def layer(self, name: str, allocate: Allocate | None = None) -> list[np.ndarray]:
        """The layer's arrays, mapped from their files (``allocate`` is not needed)."""
        if name not in self.files_by_layer:
            raise ValueError(f"prepared weights {self.folder} have no layer {name!r}")
        arrays = [np.load(self.folder / file, mmap_mode="c") for file in self.files_by_layer[name]]
        for array in arrays:
            if array.ctypes.data % TENSOR_ALIGNMENT:
                raise ValueError(f"prepared weights {self.folder}: {name}'s data is not aligned")
        return arrays


class PreparedWeightsWriter:
    """Makes the arrays of a new set as files mapped into memory (shared: what is written to
    them is in the files); on leaving the ``with`` block without an error, the set is
    complete and renamed into place.

    When a file cannot be made (no space, say), that array and the following ones go to plain
    memory, one warning is logged, and no set is saved: the build goes on.
    """

    def __init__(self, store: "PreparedWeights"):
        self.store = store
        self.folder = store.root / f".{store.folder.name}.{uuid.uuid4().hex[:8]}.tmp"
        self.files_by_layer: dict[str, list[str]] = {}
        self.failed = False

    def __enter__(self) -> "PreparedWeightsWriter":
        try:
            self.folder.mkdir(parents=True)
        except OSError as error:
            self._fail(error)
        return self

    def _fail(self, error: OSError) -> None:
        logger.warning("prepared weights: could not save %s (%s)", self.store.folder, error)
        self.failed = True

    def allocator(self, layer: str) -> Allocate:
        """The ``Allocate`` for one layer's arrays, in the order the layer makes them."""

        def allocate(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
            if self.failed:
                return aligned_empty(shape, dtype)
            files = self.files_by_layer.setdefault(layer, [])
            path = self.folder / f"{layer}.{len(files)}.npy"
            try:
                array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
                if hasattr(os, "posix_fallocate"):  # claim the space now: a full disk is an
                    with path.open("r+b") as file:  # error here, not a crash (SIGBUS) later
                        os.posix_fallocate(file.fileno(), 0, path.stat().st_size)
            except OSError as error:
                self._fail(error)
                return aligned_empty(shape, dtype)
            files.append(path.name)
            return array

        return allocate

    def copy_from(self, model) -> None:
        """Save every weight of a built Keras ``model`` (one whose weights Keras loaded)."""
        for layer in model.layers:
            allocate = self.allocator(layer.name)
            for variable in layer.weights:
                values = tensor_as_array(variable)
                allocate(values.shape, values.dtype)[...] = values

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is not None or self.failed:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        target = self.store.folder
        try:
            manifest = {"layers": self.files_by_layer}
            (self.folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
            if (target / MANIFEST).is_file():  # another run saved this set meanwhile
                shutil.rmtree(self.folder, ignore_errors=True)
                return
            shutil.rmtree(target, ignore_errors=True)  # an incomplete set, if any
            self.folder.rename(target)
        except OSError as error:
            self._fail(error)
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        _mark_used(target / MANIFEST)
        self.store.prune()


class PreparedWeights:
    """One prepared set of weights (``key``) under ``root``, of which ``keep`` stay on disk."""

    def __init__(self, root: str | Path, key: str, keep: int = 2):
        self.root = Path(root)
        self.folder = self.root / key
        self.keep = keep

    def load(self) -> MappedWeights | None:
        """The saved set, or None when there is none (or its manifest cannot be read)."""
        manifest = self.folder / MANIFEST
        try:
            files_by_layer = json.loads(manifest.read_text())["layers"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as error:
            logger.warning("prepared weights: ignoring %s (%s)", self.folder, error)
            return None
        _mark_used(manifest)
        return MappedWeights(self.folder, files_by_layer)

    def writer(self) -> PreparedWeightsWriter:
        """A writer for this set (see ``PreparedWeightsWriter``); use it in a ``with`` block."""
        return PreparedWeightsWriter(self)

    def discard(self) -> None:
        """Remove this set (it could not be used): the next build saves it again."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def prune(self) -> None:
        """Remove all but the ``keep`` most recently used sets, and what builds that died
        left behind (temporary folders untouched for ``STALE_AFTER_S``)."""
        stale_before = time.time() - STALE_AFTER_S
        for folder in self.root.glob(".*.tmp"):
            if folder.stat().st_mtime < stale_before:
                shutil.rmtree(folder, ignore_errors=True)
        used = sorted(
            (folder for folder in self.root.iterdir() if (folder / MANIFEST).is_file()),
            key=lambda folder: (folder / MANIFEST).stat().st_mtime_ns,
            reverse=True,
        )
        for folder in used[self.keep :]:
            if folder != self.folder:
                shutil.rmtree(folder, ignore_errors=True)
