"""Tests of the seeded Glorot-uniform draw and its copy-free handover to TensorFlow."""

import keras
import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

from insta_kedro import random_weights
from insta_kedro.random_weights import (
    CHUNK_SIZE,
    TENSOR_ALIGNMENT,
    adopt_as_tensor,
    aligned_empty,
    glorot_limit,
    glorot_uniform_initializer,
    glorot_uniform_rounded_to_bfloat16,
)

# More than one chunk, and not a whole number of them.
LARGE_SHAPE = (3, 3, 512, 1000)


def _as_float32(bits: np.ndarray) -> np.ndarray:
    return bits.view(ml_dtypes.bfloat16).astype(np.float32)


@pytest.mark.parametrize("shape", [(1,), (3, 5), (7, 11, 13), (64, 4096)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_aligned_empty_starts_on_the_alignment_tensorflow_needs(shape, dtype):
    array = aligned_empty(shape, dtype)
    assert array.shape == shape and array.dtype == dtype
    assert array.flags.c_contiguous
    assert array.ctypes.data % TENSOR_ALIGNMENT == 0


def test_glorot_limit_matches_keras_for_dense_and_conv_kernels():
    for shape in [(25088, 4096), (3, 3, 64, 128)]:
        drawn = keras.initializers.GlorotUniform(seed=1)(shape)
        assert float(np.abs(drawn).max()) <= glorot_limit(shape)
        assert float(np.abs(drawn).max()) > 0.99 * glorot_limit(shape)


def test_the_draw_is_seeded_and_uniform_without_bias():
    assert np.prod(LARGE_SHAPE) > CHUNK_SIZE
    bits = glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=3)
    assert bits.shape == LARGE_SHAPE and bits.dtype == np.uint16
    np.testing.assert_array_equal(bits, glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=3))
    assert not np.array_equal(bits, glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=4))

    values = _as_float32(bits)
    limit = glorot_limit(LARGE_SHAPE)
    assert np.abs(values).max() <= limit
    # A uniform on (-limit, limit): mean 0, std limit/sqrt(3), equal tenths.
    assert abs(values.mean()) < 0.001 * limit
    assert values.std() == pytest.approx(limit / np.sqrt(3), rel=1e-3)
    counts, _ = np.histogram(values, bins=10, range=(-limit, limit))
    assert counts.min() > 0.99 * counts.mean() and counts.max() < 1.01 * counts.mean()


def test_values_do_not_depend_on_the_number_of_threads(monkeypatch):
    on_all_cores = glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=5)
    monkeypatch.setattr(random_weights.os, "cpu_count", lambda: 1)
    np.testing.assert_array_equal(
        glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=5), on_all_cores
    )


def test_values_are_16_random_bits_scaled_then_rounded_to_nearest_bfloat16():
    shape = (1000, 1000)  # one chunk; a multiple of 4 values, so no random bits are left over
    bits = glorot_uniform_rounded_to_bfloat16(shape, seed=9)
    limit = np.float32(glorot_limit(shape))
    levels = np.random.PCG64([9, 0]).random_raw(bits.size // 4).view(np.uint16)
    exact = (levels.astype(np.float32) + np.float32(0.5)) * (2 * limit / 65536) - limit
    nearest = exact.astype(ml_dtypes.bfloat16).view(np.uint16).reshape(shape)
    # Ties (a dropped half of exactly 0x8000) round away from zero here, to even in ml_dtypes;
    # and the module computes k·step + offset, which may differ from this in the last float32 bit.
    close = np.abs(bits.astype(int) - nearest) <= 1
    assert close.all()
    assert (bits == nearest).mean() > 0.999


def test_float32_draws_hold_the_same_bfloat16_values():
    bits = glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=3)
    wide = glorot_uniform_rounded_to_bfloat16(LARGE_SHAPE, seed=3, dtype="float32")
    assert wide.dtype == np.float32 and wide.ctypes.data % TENSOR_ALIGNMENT == 0
    np.testing.assert_array_equal(wide, _as_float32(bits))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_tensors_and_variables_share_the_drawn_memory(dtype):
    drawn = glorot_uniform_rounded_to_bfloat16((64, 32), seed=1, dtype=dtype)
    tensor = adopt_as_tensor(drawn)
    assert tensor.dtype.name == dtype
    values = drawn if dtype == "float32" else _as_float32(drawn)
    np.testing.assert_array_equal(tensor.numpy().astype(np.float32), values)

    variable = tf.Variable(tensor)
    drawn[0, 0] = 0  # zero in both precisions: the tensor and the variable see the array
    assert float(tensor[0, 0]) == 0.0 and float(variable[0, 0]) == 0.0


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_keras_layer_takes_the_initializer_in_either_precision(dtype):
    layer = keras.layers.Dense(16, kernel_initializer=glorot_uniform_initializer(2), dtype=dtype)
    layer.build((None, 40))
    assert layer.kernel.dtype == dtype
    expected = _as_float32(glorot_uniform_rounded_to_bfloat16((40, 16), seed=2))
    np.testing.assert_array_equal(np.asarray(layer.kernel).astype(np.float32), expected)
