"""Tests of the encoder's weights: the seeded draw, bfloat16 rounding, the HDF5 reader and
the copy-free handover to TensorFlow."""

import keras
import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

from insta_kedro.vision import encoder_weights
from insta_kedro.vision.encoder_weights import (
    CHUNK_SIZE,
    TENSOR_ALIGNMENT,
    Keras2Hdf5Weights,
    adopt_as_tensor,
    aligned_empty,
    glorot_limit,
    glorot_uniform_initializer,
    glorot_uniform_rounded_to_bfloat16,
    is_keras2_hdf5,
    round_to_bfloat16,
    tensor_as_array,
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
    monkeypatch.setattr(encoder_weights.os, "cpu_count", lambda: 1)
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
def test_a_variable_is_seen_as_an_array_without_a_copy(dtype):
    drawn = glorot_uniform_rounded_to_bfloat16((16, 8), seed=4, dtype=dtype)
    variable = tf.Variable(adopt_as_tensor(drawn))
    seen = tensor_as_array(variable)
    assert seen.dtype == drawn.dtype and seen.ctypes.data == drawn.ctypes.data
    np.testing.assert_array_equal(seen, drawn)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_keras_layer_takes_the_initializer_in_either_precision(dtype):
    layer = keras.layers.Dense(16, kernel_initializer=glorot_uniform_initializer(2), dtype=dtype)
    layer.build((None, 40))
    assert layer.kernel.dtype == dtype
    expected = _as_float32(glorot_uniform_rounded_to_bfloat16((40, 16), seed=2))
    np.testing.assert_array_equal(np.asarray(layer.kernel).astype(np.float32), expected)


def test_rounding_to_bfloat16_is_tensorflows_round_to_nearest_even():
    patterns = np.array(
        [
            0x3F808000,  # a tie below an even bfloat16: stays
            0x3F818000,  # a tie below an odd one: goes up to even
            0xBF818000,  # the same, negative
            0x3F807FFF,  # just under a tie: down
            0x3F808001,  # just over: up
            0x7F7FFFFF,  # the largest float32: rounds to infinity, as in TensorFlow
            0x00000001,  # the smallest subnormal
        ],
        np.uint32,
    )
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [patterns.view(np.float32), rng.normal(0, 0.1, CHUNK_SIZE + 999).astype(np.float32)]
    )
    expected = tf.bitcast(tf.cast(values, tf.bfloat16), tf.uint16).numpy()
    rounded = round_to_bfloat16(values.copy())
    assert rounded.ctypes.data % TENSOR_ALIGNMENT == 0
    np.testing.assert_array_equal(rounded, expected)


def _small_network() -> keras.Model:
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(5, name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, name="out")(hidden))


@pytest.mark.parametrize("under_model_weights", [False, True])
def test_a_keras2_hdf5_file_is_read_layer_by_layer(tmp_path, under_model_weights, monkeypatch):
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    network = _small_network()
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as file:
        group = file.create_group("model_weights") if under_model_weights else file
        save_weights_to_hdf5_group(group, network)
    assert is_keras2_hdf5(path)

    kernel, bias = (np.asarray(w) for w in network.get_layer("hidden").weights)
    with Keras2Hdf5Weights(path, "float32") as weights:
        read_kernel, read_bias = weights.layer("hidden")
        with pytest.raises(ValueError, match="no layer 'fc1'"):
            weights.layer("fc1")
    np.testing.assert_array_equal(read_kernel, kernel)
    np.testing.assert_array_equal(read_bias, bias)
    assert read_kernel.ctypes.data % TENSOR_ALIGNMENT == 0

    expected = tf.bitcast(tf.cast(kernel, tf.bfloat16), tf.uint16).numpy()
    for read_size in (encoder_weights.READ_SIZE, 20):  # one read; reads of 4 rows, then 2
        monkeypatch.setattr(encoder_weights, "READ_SIZE", read_size)
        with Keras2Hdf5Weights(path, "bfloat16") as weights:
            narrow_kernel, narrow_bias = weights.layer("hidden")
        np.testing.assert_array_equal(narrow_kernel, expected)
        np.testing.assert_array_equal(
            narrow_bias, tf.bitcast(tf.cast(bias, tf.bfloat16), tf.uint16).numpy()
        )

    made = []

    def allocate(shape, dtype):
        made.append(aligned_empty(shape, dtype))
        return made[-1]

    with Keras2Hdf5Weights(path, "float32") as weights:
        read = weights.layer("hidden", allocate)
    assert [a.ctypes.data for a in read] == [a.ctypes.data for a in made]  # read into them


def test_other_files_are_not_taken_for_keras2_hdf5(tmp_path):
    keras3 = tmp_path / "network.weights.h5"
    _small_network().save_weights(keras3)
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("not an HDF5 file")
    assert not is_keras2_hdf5(keras3)
    assert not is_keras2_hdf5(not_hdf5)
