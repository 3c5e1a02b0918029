"""Seeded Glorot-uniform weights, drawn fast: numpy fills bfloat16 values chunk by chunk on all
cores, into 64-byte-aligned memory that TensorFlow adopts without a copy (DLPack).

VGG16 holds 138M weights. TensorFlow's own generator (Philox) draws them at about 250M values/s
on 2 cores, into freshly allocated memory whose first touch is slow here; numpy's PCG64 gives
four values per 64-bit output, its large arrays sit on transparent huge pages, and a variable
made from the adopted tensor keeps that memory. Every chunk has its own generator, seeded by
(seed, chunk start), so the values do not depend on the number of threads.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CHUNK_SIZE = 1 << 22  # values per generator, the unit a thread takes
BLOCK_SIZE = 1 << 18  # values per pass over a thread's float32 scratch (1 MB, stays in cache)
TENSOR_ALIGNMENT = 64  # bytes; TensorFlow adopts only buffers aligned like its own (Eigen's)


def aligned_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a ``TENSOR_ALIGNMENT`` boundary."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + TENSOR_ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % TENSOR_ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def glorot_limit(shape: tuple[int, ...]) -> float:
    """Keras's Glorot-uniform bound sqrt(6 / (fan_in + fan_out)) for a Dense or Conv kernel."""
    receptive_field = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return math.sqrt(6.0 / (fan_in + fan_out))


def glorot_uniform_rounded_to_bfloat16(
    shape: tuple[int, ...], seed: int, dtype: str = "bfloat16"
) -> np.ndarray:
    """Uniform values in (-limit, limit), rounded to bfloat16 (to nearest), in an aligned
    array of ``shape``: their bit patterns as uint16 for ``dtype`` bfloat16, or the same
    values as float32 (which hold every bfloat16 exactly) for ``dtype`` float32.

    Each value comes from 16 random bits (65,536 evenly spaced levels, far finer than
    bfloat16's 8 significant bits), a quarter of one 64-bit PCG64 output.
    """
    limit = glorot_limit(shape)
    step, offset = np.float32(2 * limit / 65536), np.float32(limit / 65536 - limit)
    narrow = dtype == "bfloat16"
    drawn = aligned_empty(shape, np.uint16 if narrow else np.float32)
    targets = drawn.reshape(-1) if narrow else drawn.reshape(-1).view(np.uint32)

    def fill(start: int) -> None:
        stop = min(targets.size, start + CHUNK_SIZE)
        generator = np.random.PCG64([seed, start])
        scratch = np.empty(BLOCK_SIZE, np.float32)
        for block_start in range(start, stop, BLOCK_SIZE):
            block_stop = min(stop, block_start + BLOCK_SIZE)
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

    starts = range(0, targets.size, CHUNK_SIZE)
    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        list(pool.map(fill, starts))
    return drawn


def adopt_as_tensor(drawn: np.ndarray):
    """The TensorFlow tensor over the memory of an array from
    ``glorot_uniform_rounded_to_bfloat16``, without a copy: bfloat16 for uint16 bit
    patterns, float32 for float32 values."""
    import tensorflow as tf

    tensor = tf.experimental.dlpack.from_dlpack(drawn.__dlpack__())
    return tf.bitcast(tensor, tf.bfloat16) if drawn.dtype == np.uint16 else tensor


def glorot_uniform_initializer(seed: int):
    """A Keras initializer ``(shape, dtype) -> tensor``: seeded Glorot-uniform values rounded
    to bfloat16, the same values whatever ``dtype`` (bfloat16 or float32) the layer uses."""

    def initialize(shape, dtype=None):
        dtype = "bfloat16" if dtype == "bfloat16" else "float32"
        drawn = glorot_uniform_rounded_to_bfloat16(tuple(int(n) for n in shape), seed, dtype)
        return adopt_as_tensor(drawn)

    return initialize
