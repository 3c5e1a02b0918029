"""The image encoder's weights as its network holds them, saved once and mapped from disk on
later runs.

Building VGG16 means 138M weights: drawn (seeded random weights) or read from a 528 MB file
and rounded to bfloat16, into memory whose first touch is slow on a virtual machine. A run
that only adds a few photos paid all of that for a couple of forward passes. The first run
of a configuration saves the weights, in the network's own precision (bfloat16 bit patterns
or float32), one ``.npy`` per array; later runs map those files into memory copy-on-write
(nothing is ever written back) and hand them to TensorFlow without a copy, so the pages come
from the operating system's file cache.

Layout under the feature cache root (``prepared_weights/`` in ``image_features.cache_dir``)::

    <key>/                 one folder per weights fingerprint, precision and set of layers
        manifest.json      layer name -> its arrays' files; written last, so a folder
                           without it is incomplete and ignored
        <layer>.<i>.npy    kernel (i=0) and bias (i=1); .npy data starts 64-byte aligned

A folder is written under a temporary name and renamed into place, so a crash never leaves a
half-written set under a real key. Only the ``keep`` most recently used sets stay.

Example:
    >>> store = PreparedWeights("data/04_feature/image_feature_cache/prepared_weights", key)
    >>> weights = store.load()        # None until a run has saved them
    >>> kernel, bias = weights.layer("fc1")   # mapped, not read
    >>> store.save(model)             # after a build from the source weights
"""

import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from insta_kedro.encoder_weights import TENSOR_ALIGNMENT, tensor_as_array

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"


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

    def layer(self, name: str) -> list[np.ndarray]:
        if name not in self.files_by_layer:
            raise ValueError(f"prepared weights {self.folder} have no layer {name!r}")
        arrays = [np.load(self.folder / file, mmap_mode="c") for file in self.files_by_layer[name]]
        for array in arrays:
            if array.ctypes.data % TENSOR_ALIGNMENT:
                raise ValueError(f"prepared weights {self.folder}: {name}'s data is not aligned")
        return arrays


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

    def discard(self) -> None:
        """Remove this set (it could not be used): the next build saves it again."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def save(self, model) -> None:
        """Save every weight of a built Keras ``model``, read from the variables' own memory.

        Nothing is raised when saving fails (a full disk, say): the run goes on without.
        """
        temporary = self.root / f".{self.folder.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            temporary.mkdir(parents=True)
            files_by_layer = {}
            for layer in model.layers:
                files = []
                for index, variable in enumerate(layer.weights):
                    file = f"{layer.name}.{index}.npy"
                    np.save(temporary / file, tensor_as_array(variable))
                    files.append(file)
                if files:
                    files_by_layer[layer.name] = files
            (temporary / MANIFEST).write_text(json.dumps({"layers": files_by_layer}, indent=1))
            if (self.folder / MANIFEST).is_file():  # another run saved it meanwhile
                shutil.rmtree(temporary, ignore_errors=True)
                return
            shutil.rmtree(self.folder, ignore_errors=True)  # an incomplete set, if any
            temporary.rename(self.folder)
            _mark_used(self.folder / MANIFEST)
        except OSError as error:
            logger.warning("prepared weights: could not save %s (%s)", self.folder, error)
            shutil.rmtree(temporary, ignore_errors=True)
            return
        self._prune()

    def _prune(self) -> None:
        """Remove all but the ``keep`` most recently used sets."""
        used = sorted(
            (folder for folder in self.root.iterdir() if (folder / MANIFEST).is_file()),
            key=lambda folder: (folder / MANIFEST).stat().st_mtime_ns,
            reverse=True,
        )
        for folder in used[self.keep :]:
            if folder != self.folder:
                shutil.rmtree(folder, ignore_errors=True)
