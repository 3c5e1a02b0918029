"""Seeded Glorot-uniform weights, drawn fast: numpy fills bfloat16 values chunk by chunk on all
cores, into 64-byte-aligned memory that TensorFlow adopts without a copy (DLPack).

VGG16 holds 138M weights. TensorFlow's own generator (Philox) draws them at about 250M values/s
on 2 cores, into freshly allocated memory whose first touch is slow; numpy's PCG64 is faster,
its large arrays sit on transparent huge pages, and a variable made from the adopted tensor
keeps that memory. Every chunk has its own generator, seeded by (seed, chunk start), so the
values do not depend on the number of threads.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CHUNK_SIZE = 1 << 22  # values per generator: 16 MB of float32 scratch per thread
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


def glorot_uniform_bfloat16_bits(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Uniform values in (-limit, limit), rounded to bfloat16 (to nearest); returns their
    bit patterns as an aligned uint16 array of ``shape``."""
    limit = glorot_limit(shape)
    bits = aligned_empty(shape, np.uint16).reshape(-1)

    def fill(start: int) -> None:
        stop = min(bits.size, start + CHUNK_SIZE)
        generator = np.random.Generator(np.random.PCG64([seed, start]))
        values = generator.random(stop - start, dtype=np.float32)
        values *= 2 * limit
        values -= limit
        # A bfloat16 is the top half of a float32: add half of the dropped half, then shift.
        patterns = values.view(np.uint32)
        patterns += 0x8000
        patterns >>= 16
        bits[start:stop] = patterns

    starts = range(0, bits.size, CHUNK_SIZE)
    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        list(pool.map(fill, starts))
    return bits.reshape(shape)


def adopt_bfloat16_bits(bits: np.ndarray, dtype: str):
    """A TensorFlow tensor of ``dtype`` (bfloat16 or float32) holding the bfloat16 values of
    ``bits``; for bfloat16 it shares the array's memory, for float32 one aligned copy is made."""
    import tensorflow as tf

    if dtype == "bfloat16":
        return tf.bitcast(tf.experimental.dlpack.from_dlpack(bits.__dlpack__()), tf.bfloat16)
    widened = aligned_empty(bits.shape, np.uint32)
    widened[...] = bits
    widened <<= 16  # a bfloat16's bits are the top half of the same float32
    return tf.experimental.dlpack.from_dlpack(widened.view(np.float32).__dlpack__())


def glorot_uniform_initializer(seed: int):
    """A Keras initializer ``(shape, dtype) -> tensor``: seeded Glorot-uniform values rounded
    to bfloat16, the same values whatever ``dtype`` (bfloat16 or float32) the layer uses."""

    def initialize(shape, dtype=None):
        bits = glorot_uniform_bfloat16_bits(tuple(int(n) for n in shape), seed)
        return adopt_bfloat16_bits(bits, "bfloat16" if dtype == "bfloat16" else "float32")

    return initialize
