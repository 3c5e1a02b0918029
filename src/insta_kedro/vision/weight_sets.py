"""A built VGG16 saved once as a weight set, and rebuilt from it without drawing its weights.

``keras.applications.VGG16`` runs its initializers on every build, drawing 138M weights that
a weights file, if any, then replaces. A run that encodes a few new photos would spend most
of its time there. So the first build of an encoder saves the network: its Keras config
(``config.json``) and each variable as ``<layer>.<index>.npy``, written in a sibling folder
and renamed into place whole. Later builds deserialize the same config with initializers
that return the saved arrays (:class:`SavedArray`), so the network is the same, with the
same weights, and nothing is drawn or read twice.

A layer under a mixed-precision policy (``mixed_bfloat16``: float32 variables, bfloat16
arithmetic) is saved under the plain policy of its arithmetic (``bfloat16``), its variables
cast once: the network computes the same numbers, without casting every weight on every
call, from half the memory. bfloat16 arrays are stored as their raw 16 bits (``uint16``),
since ``.npy`` has no bfloat16.

The folder is named by everything the weights depend on (:func:`weight_set_name`). A folder
that cannot be read back is removed, with a warning, and the network is built anew. Runs
that need the same set at the same time take turns on a lock file beside it
(``<name>.lock``): one builds and saves it, the others then read it back. Without the turns,
each would clear the other's ``.partial`` folder and rename a part of the arrays into place.
"""

import contextlib
import fcntl
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import ml_dtypes
import numpy as np

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
# The layers of VGG16 that hold variables, and their initializers in variable order.
LAYERS_WITH_WEIGHTS = ("Conv2D", "Dense")
INITIALIZERS = ("kernel_initializer", "bias_initializer")
# TensorFlow's CPU kernels require tensor data aligned to 64 bytes (Eigen's largest alignment).
TENSOR_ALIGNMENT = 64
# Bumped when the layout of a saved set changes, so that older sets are not read back.
FORMAT_VERSION = 2


class SavedArray(keras.initializers.Initializer):
    """An initializer that returns the array saved at ``path`` (checked against the shape);
    for a bfloat16 variable, a ``uint16`` file holds the raw bits of its values.

    The file is mapped copy-on-write and handed to TensorFlow through DLPack, so the variable
    shares the file's pages in the page cache instead of copying them into new memory; a
    write to the variable copies only the page it touches, and never reaches the file. Data
    that does not start on TensorFlow's alignment (``.npy`` files align it) is copied.
    """

    def __init__(self, path: str):
        self.path = path

    def __call__(self, shape, dtype=None):
        import tensorflow as tf

        value = np.load(self.path, mmap_mode="c")
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"{self.path}: saved shape {value.shape}, the layer needs {shape}")
        bfloat16_bits = value.dtype == np.uint16 and keras.backend.standardize_dtype(dtype) == (
            "bfloat16"
        )
        if value.ctypes.data % TENSOR_ALIGNMENT:
            tensor = tf.constant(value)  # a copy in TensorFlow's own (aligned) memory
        else:
            tensor = tf.experimental.dlpack.from_dlpack(value.__dlpack__())
        if bfloat16_bits:
            tensor = tf.bitcast(tensor, tf.bfloat16)  # a view of the same bytes
        return keras.ops.convert_to_tensor(tensor, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"path": self.path}


def weight_set_name(fingerprint: str, variant: str) -> str:
    """The folder name of a weight set: a hash of the weights' ``fingerprint`` (the spec's
    ``weights_fingerprint``), the ``variant`` built (layers and precision), Keras's version
    and the sets' ``FORMAT_VERSION``."""
    text = json.dumps([fingerprint, variant, keras.__version__, FORMAT_VERSION])
    return f"vgg16-{variant}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _unmixed(config: Any) -> Any:
    """``config`` (a serialized Keras object) with each mixed dtype policy replaced by the
    plain policy of its arithmetic (``mixed_bfloat16`` → ``bfloat16``)."""
    if isinstance(config, list):
        return [_unmixed(item) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "DTypePolicy":
        name = config["config"]["name"]
        return {**config, "config": {**config["config"], "name": name.removeprefix("mixed_")}}
    return {key: _unmixed(value) for key, value in config.items()}


def _stored(value: np.ndarray, dtype: str) -> np.ndarray:
    """A variable's ``value`` as saved for a layer computing in ``dtype``."""
    if dtype == "bfloat16":
        return value.astype(ml_dtypes.bfloat16).view(np.uint16)
    return value.astype(dtype, copy=False)


def _values(variable: keras.Variable) -> np.ndarray:
    """The values of a (TensorFlow) ``variable``, read without copying them: the array shares
    the tensor's memory, where ``get_weights`` would copy each one into new memory."""
    return np.asarray(variable.value.read_value())


def save_weight_set(model: keras.Model, folder: Path) -> None:
    """Save ``model``'s config and variables as the weight set ``folder``, each layer under
    the dtype of its arithmetic; a set already there (another run saved it first) is kept."""
    folder = Path(folder)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    config = _unmixed(keras.saving.serialize_keras_object(model))
    (partial / CONFIG_FILE).write_text(json.dumps(config))
    for layer in model.layers:
        for index, variable in enumerate(layer.weights):
            stored = _stored(_values(variable), layer.dtype_policy.compute_dtype)
            np.save(partial / f"{layer.name}.{index}.npy", stored)
    try:
        partial.rename(folder)
    except OSError:  # saved meanwhile by another run
        shutil.rmtree(partial, ignore_errors=True)


def load_weight_set(folder: Path) -> keras.Model:
    """The network saved in ``folder``, its variables set from the saved arrays.

    Raises ``OSError``, ``ValueError`` or ``KeyError`` when the set cannot be read back.
    """
    folder = Path(folder)
    config = json.loads((folder / CONFIG_FILE).read_text())
    for layer in config["config"]["layers"]:
        if layer["class_name"] not in LAYERS_WITH_WEIGHTS:
            continue
        name = layer["config"]["name"]
        for index, key in enumerate(INITIALIZERS):
            path = folder / f"{name}.{index}.npy"
            if not path.is_file():
                raise OSError(f"{path} is missing")
            layer["config"][key] = {
                "module": None,
                "class_name": "SavedArray",
                "config": {"path": str(path)},
                "registered_name": "SavedArray",
            }
    return keras.saving.deserialize_keras_object(config, custom_objects={"SavedArray": SavedArray})


@contextlib.contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """Within the block, this process alone reads, builds, saves or removes the weight set
    ``folder``: it holds an exclusive lock on ``<folder>.lock``, waiting while another run
    holds it. The lock ends with the process, a killed one too."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def built_once(folder: Path | None, build: Callable[[], keras.Model]) -> keras.Model:
    """``build()``'s network, saved as the weight set ``folder`` the first time and read back
    from it then and afterwards (so every run computes with the same saved variables);
    without ``folder``, ``build()`` every time. Runs that need the same ``folder`` at once
    take turns (:func:`_turn`), so it is built and saved once."""
    if folder is None:
        return build()
    folder = Path(folder)
    with _turn(folder):
        if folder.is_dir():
            try:
                return load_weight_set(folder)
            except (OSError, ValueError, KeyError) as error:
                logger.warning("weight set %s unusable, built anew (%s)", folder, error)
                shutil.rmtree(folder, ignore_errors=True)
        model = build()
        try:
            save_weight_set(model, folder)
        except OSError as error:
            logger.warning(
                "weight set %s not saved (%s): the next build draws again", folder, error
            )
            return model
        return load_weight_set(folder)
