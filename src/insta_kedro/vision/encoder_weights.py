"""VGG16's weights handed to TensorFlow without copies: seeded Glorot-uniform draws and
Keras-2 HDF5 weights files, rounded to bfloat16 in numpy on all cores, in 64-byte-aligned
memory that TensorFlow adopts as it is (DLPack).

VGG16 holds 138M weights. TensorFlow's own generator (Philox) draws them at about 250M values/s
on 2 cores, into freshly allocated memory whose first touch is slow here, and Keras's
``load_weights`` reads a file into numpy, casts it into new tensors and copies those into the
variables. Here numpy's large arrays sit on transparent huge pages, PCG64 gives four 16-bit
values per 64-bit output, and a variable made from an adopted tensor keeps its memory.
Work is split in chunks; a chunk's random values come from its own generator, seeded by
(seed, chunk start), so the values do not depend on the number of threads.
"""

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

CHUNK_SIZE = 1 << 22  # values per unit of work a thread takes (and per random generator)
BLOCK_SIZE = 1 << 18  # values per pass inside a chunk (1 MB of float32: stays in cache)
TENSOR_ALIGNMENT = 64  # bytes; TensorFlow adopts only buffers aligned like its own (Eigen's)
READ_SIZE = 2 * CHUNK_SIZE  # float32 values read from a file at a time, then rounded on 2 cores

Allocate = Callable[[tuple[int, ...], np.dtype], np.ndarray]
"""Makes the array a weight goes into: ``aligned_empty``, or a file mapped into memory
(``PreparedWeightsWriter.allocator``), so that drawing or reading the weight saves it too."""


def aligned_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a ``TENSOR_ALIGNMENT`` boundary."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + TENSOR_ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % TENSOR_ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def _in_chunks(size: int, fill_chunk: Callable[[int, int], None]) -> None:
    """Call ``fill_chunk(start, stop)`` for every chunk of ``range(size)``, on all cores
    (a single chunk, such as a bias, runs in the calling thread: no pool to start)."""
    starts = range(0, size, CHUNK_SIZE)
    if len(starts) <= 1:
        fill_chunk(0, size)
        return
    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        list(pool.map(lambda start: fill_chunk(start, min(size, start + CHUNK_SIZE)), starts))


def _blocks(start: int, stop: int):
    for block_start in range(start, stop, BLOCK_SIZE):
        yield block_start, min(stop, block_start + BLOCK_SIZE)


def glorot_limit(shape: tuple[int, ...]) -> float:
    """Keras's Glorot-uniform bound sqrt(6 / (fan_in + fan_out)) for a Dense or Conv kernel."""
    receptive_field = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return math.sqrt(6.0 / (fan_in + fan_out))


def glorot_uniform_rounded_to_bfloat16(
    shape: tuple[int, ...], seed: int, dtype: str = "bfloat16", allocate: Allocate = aligned_empty
) -> np.ndarray:
    """Uniform values in (-limit, limit), rounded to bfloat16 (to nearest), in an aligned
    array of ``shape`` from ``allocate``: their bit patterns as uint16 for ``dtype`` bfloat16,
    or the same values as float32 (which hold every bfloat16 exactly) for ``dtype`` float32.

    Each value comes from 16 random bits (65,536 evenly spaced levels, far finer than
    bfloat16's 8 significant bits), a quarter of one 64-bit PCG64 output.
    """
    limit = glorot_limit(shape)
    step, offset = np.float32(2 * limit / 65536), np.float32(limit / 65536 - limit)
    narrow = dtype == "bfloat16"
    drawn = allocate(shape, np.dtype(np.uint16 if narrow else np.float32))
    targets = drawn.reshape(-1) if narrow else drawn.reshape(-1).view(np.uint32)

    def fill_chunk(start: int, stop: int) -> None:
        generator = np.random.PCG64([seed, start])
        scratch = np.empty(BLOCK_SIZE, np.float32)
        for block_start, block_stop in _blocks(start, stop):
            count = block_stop - block_start
            levels = generator.random_raw(-(-count // 4)).view(np.uint16)[:count]
            values = scratch[:count]
            np.multiply(levels, step, out=values, casting="unsafe")
            values += offset  # level k → (k + 1/2) · step − limit
            # A bfloat16 is the top half of a float32: add half of the dropped half, then
            # keep the top half (as uint16, or zero the bottom half of the float32).
            patterns = values.view(np.uint32)
            patterns += 0x8000
            if narrow:
                patterns >>= 16
            else:
                patterns &= 0xFFFF0000
            targets[block_start:block_stop] = patterns

    _in_chunks(targets.size, fill_chunk)
    return drawn


def round_to_bfloat16(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The bfloat16 bit patterns (uint16) of float32 ``values``, rounded to nearest, ties to
    even, as ``tf.cast`` rounds finite values, in ``out`` (a C-contiguous uint16 array of as
    many values) or a new aligned array. ``values`` is used as scratch."""
    patterns = np.ascontiguousarray(values, np.float32).reshape(-1).view(np.uint32)
    rounded = aligned_empty(values.shape, np.uint16) if out is None else out
    targets = rounded.reshape(-1)

    def fill_chunk(start: int, stop: int) -> None:
        for block_start, block_stop in _blocks(start, stop):
            block = patterns[block_start:block_stop]
            odd = (block >> 16) & 1  # ties go to the even neighbour
            block += 0x7FFF
            block += odd
            block >>= 16
            targets[block_start:block_stop] = block

    _in_chunks(targets.size, fill_chunk)
    return rounded


def is_keras2_hdf5(path: str | Path) -> bool:
    """Whether ``path`` is a Keras-2 HDF5 weights file (the layout of Keras's ImageNet files):
    ``layer_names`` at the root, or under ``model_weights`` for a whole saved model."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            root = file.get("model_weights", file)
            return "layer_names" in root.attrs
    except OSError:
        return False


def _as_str(name) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


class Keras2Hdf5Weights:
    """The layers of an open Keras-2 HDF5 weights file, read one layer at a time on request,
    so a network that builds only some layers reads only those.

        with Keras2Hdf5Weights(path, "bfloat16") as weights:
            kernel, bias = weights.layer("fc1")

    A layer's arrays come in the file's order (kernel, then bias), aligned: float32, or
    bfloat16 bit patterns (uint16) rounded as ``tf.cast`` rounds them for ``dtype`` bfloat16.
    """

    def __init__(self, path: str | Path, dtype: str):
        self.path = Path(path)
        self.dtype = dtype

    def __enter__(self) -> "Keras2Hdf5Weights":
        import h5py

        self._file = h5py.File(self.path, "r")
        self._root = self._file.get("model_weights", self._file)
        self._layer_names = {_as_str(name) for name in self._root.attrs["layer_names"]}
        return self

    def __exit__(self, *exc_info) -> None:
        self._file.close()

    def layer(self, name: str, allocate: Allocate = aligned_empty) -> list[np.ndarray]:
        """The layer's arrays, each in memory from ``allocate``; in bfloat16 the file is read
        ``READ_SIZE`` values at a time into one scratch block and rounded from there."""
        if name not in self._layer_names:
            raise ValueError(f"The weights file {self.path} has no layer {name!r}")
        group = self._root[name]
        arrays = []
        for weight_name in map(_as_str, group.attrs.get("weight_names", [])):
            dataset = group[weight_name]
            if self.dtype != "bfloat16":
                values = allocate(dataset.shape, np.dtype(np.float32))
                dataset.read_direct(values)
                arrays.append(values)
                continue
            rounded = allocate(dataset.shape, np.dtype(np.uint16))
            rows = rounded.reshape(len(rounded), -1)  # reads go by the first axis
            step = max(1, READ_SIZE // max(1, rows.shape[1]))
            scratch = np.empty((min(step, len(rows)), rows.shape[1]), np.float32)
            for start in range(0, len(rows), step):
                stop = min(len(rows), start + step)
                block = scratch[: stop - start]
                dataset.read_direct(
                    block.reshape((stop - start, *dataset.shape[1:])), np.s_[start:stop]
                )
                round_to_bfloat16(block, out=rows[start:stop])
            arrays.append(rounded)
        return arrays


def adopt_as_tensor(array: np.ndarray):
    """The TensorFlow tensor over an aligned array's memory, without a copy: bfloat16 for
    uint16 bit patterns, float32 for float32 values."""
    import tensorflow as tf

    tensor = tf.experimental.dlpack.from_dlpack(array.__dlpack__())
    return tf.bitcast(tensor, tf.bfloat16) if array.dtype == np.uint16 else tensor


def tensor_as_array(value) -> np.ndarray:
    """A numpy view of a CPU tensor's (or variable's) memory, without a copy: uint16 bit
    patterns for bfloat16, the values themselves otherwise. ``adopt_as_tensor`` reversed."""
    import tensorflow as tf

    tensor = tf.convert_to_tensor(value)
    if tensor.dtype == tf.bfloat16:
        tensor = tf.bitcast(tensor, tf.uint16)
    return np.from_dlpack(tensor)


def _layer_dtype(dtype) -> str:
    return "bfloat16" if dtype == "bfloat16" else "float32"


def glorot_uniform_initializer(seed: int, allocate: Allocate = aligned_empty):
    """A Keras initializer ``(shape, dtype) -> tensor``: seeded Glorot-uniform values rounded
    to bfloat16, the same values whatever ``dtype`` (bfloat16 or float32) the layer uses."""

    def initialize(shape, dtype=None):
        shape = tuple(int(n) for n in shape)
        drawn = glorot_uniform_rounded_to_bfloat16(shape, seed, _layer_dtype(dtype), allocate)
        return adopt_as_tensor(drawn)

    return initialize


def zeros_initializer(allocate: Allocate = aligned_empty):
    """A Keras initializer of zeros (a bias) in memory from ``allocate``."""

    def initialize(shape, dtype=None):
        shape = tuple(int(n) for n in shape)
        stored = np.uint16 if _layer_dtype(dtype) == "bfloat16" else np.float32
        zeros = allocate(shape, np.dtype(stored))
        zeros.fill(0)  # bfloat16's zero is the bit pattern 0
        return adopt_as_tensor(zeros)

    return initialize


def loaded_initializer(array: np.ndarray, source: str):
    """A Keras initializer that hands over ``array`` (from ``Keras2Hdf5Weights.layer``), after
    checking that the layer asks for its shape and precision; ``source`` names it in the error."""

    def initialize(shape, dtype=None):
        shape = tuple(int(n) for n in shape)
        expected = np.uint16 if _layer_dtype(dtype) == "bfloat16" else np.float32
        if array.shape != shape or array.dtype != expected:
            raise ValueError(
                f"{source} is {array.dtype} {array.shape}; the network needs {expected.__name__} "
                f"{shape}"
            )
        return adopt_as_tensor(array)

    return initialize
