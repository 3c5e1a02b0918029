import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from insta_kedro.caption_network import CaptionStartLSTMCell
from insta_kedro.packed_lstm_op import (
    build_packed_lstm_library,
    fused_lstm_fits,
    load_packed_lstm_op,
    packed_lstm,
)


def lstm_cell(units: int, char_dim: int, seed: int = 0) -> layers.LSTMCell:
    lstm = layers.LSTM(units, return_sequences=True)
    lstm.build((None, None, char_dim))
    rng = np.random.default_rng(seed)  # a bias far from its initial zeros/ones
    lstm.cell.bias.assign(rng.normal(scale=0.5, size=(4 * units,)).astype("float32"))
    return lstm.cell


def packed_rows(rows: int, steps: int, char_dim: int, units: int, inject: bool, seed: int = 0):
    """Random characters, caption starts (always one at a row's first step) and image starts."""
    rng = np.random.default_rng(seed)
    chars = rng.normal(size=(rows, steps, char_dim)).astype("float32")
    starts = (rng.random((rows, steps)) < 0.1).astype("float32")
    starts[:, 0] = 1.0
    start = None
    if inject:
        start = (starts[..., None] * rng.normal(size=(rows, steps, units))).astype("float32")
    return chars, starts, start


def keras_and_fused(cell, chars, starts, start, seed: int = 1):
    """Outputs of Keras's RNN over CaptionStartLSTMCell and of the fused op, and the
    gradients of one random projection of each w.r.t. chars, W, U, b (and start)."""
    rnn = layers.RNN(CaptionStartLSTMCell(cell, chars.shape[-1]), return_sequences=True)
    chars, carry = tf.constant(chars), tf.constant(1.0 - starts)
    start = None if start is None else tf.constant(start)
    sources = [chars, cell.kernel, cell.recurrent_kernel, cell.bias]
    sources += [] if start is None else [start]
    weights = tf.constant(np.random.default_rng(seed).normal(size=(*starts.shape, cell.units)))
    weights = tf.cast(weights, tf.float32)
    results = []
    for fused in (False, True):
        with tf.GradientTape() as tape:
            tape.watch([chars] + ([] if start is None else [start]))
            if fused:
                gates = tf.matmul(chars, cell.kernel) + cell.bias
                h = packed_lstm(gates, tf.convert_to_tensor(cell.recurrent_kernel), carry, start)
            else:
                inputs = [chars, carry[..., None]] + ([] if start is None else [start])
                h = rnn(tf.concat(inputs, axis=-1))
            loss = tf.reduce_sum(h * weights)
        results.append((np.asarray(h), [np.asarray(g) for g in tape.gradient(loss, sources)]))
    return results


@pytest.mark.parametrize("inject", [False, True], ids=["merge", "inject"])
@pytest.mark.parametrize(
    ("rows", "steps", "units"),
    [(26, 40, 128), (7, 9, 32), (1, 1, 16), (13, 5, 80)],
    ids=["typical", "odd-rows", "one-step", "units-80"],
)
def test_outputs_and_gradients_equal_keras(rows, steps, units, inject):
    char_dim = 8
    cell = lstm_cell(units, char_dim)
    chars, starts, start = packed_rows(rows, steps, char_dim, units, inject)
    (keras_h, keras_grads), (fused_h, fused_grads) = keras_and_fused(cell, chars, starts, start)
    np.testing.assert_allclose(fused_h, keras_h, atol=2e-6)
    names = ["chars", "W", "U", "b", "start"]
    for name, expected, got in zip(names, keras_grads, fused_grads, strict=False):
        scale = max(float(np.abs(expected).max()), 1.0)
        np.testing.assert_allclose(got, expected, atol=2e-6 * scale, err_msg=name)


def test_a_caption_start_cuts_the_state_from_what_came_before():
    cell = lstm_cell(16, 4)
    chars, starts, _ = packed_rows(1, 12, 4, 16, inject=False)
    starts[0, 6] = 1.0
    carry = tf.constant(1.0 - starts)
    gates = tf.matmul(chars, cell.kernel) + cell.bias
    recurrent = tf.convert_to_tensor(cell.recurrent_kernel)
    whole = np.asarray(packed_lstm(gates, recurrent, carry))
    second = np.asarray(packed_lstm(gates[:, 6:], recurrent, carry[:, 6:]))
    np.testing.assert_allclose(whole[:, 6:], second, atol=1e-6)


def test_shapes_are_checked():
    op = load_packed_lstm_op()
    recurrent = tf.zeros((16, 64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="carry must be"):
        op.insta_kedro_packed_lstm_forward(tf.zeros((2, 3, 64)), recurrent, tf.ones((2, 4)), [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="4 \\* units"):
        op.insta_kedro_packed_lstm_forward(tf.zeros((2, 3, 60)), recurrent, tf.ones((2, 3)), [])


def test_units_that_are_not_a_multiple_of_16_keep_keras():
    assert fused_lstm_fits(lstm_cell(32, 4))
    assert not fused_lstm_fits(lstm_cell(24, 4))
    assert not fused_lstm_fits(layers.LSTMCell(32, recurrent_dropout=0.1))


def test_the_build_is_cached(tmp_path):
    first = build_packed_lstm_library(tmp_path)
    modified = first.stat().st_mtime_ns
    assert build_packed_lstm_library(tmp_path) == first
    assert first.stat().st_mtime_ns == modified


def test_a_failed_build_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", "/bin/false")
    with pytest.raises(RuntimeError, match="failed"):
        build_packed_lstm_library(tmp_path)
