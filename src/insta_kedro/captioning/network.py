"""Keras networks of the caption model: ``merge`` and ``inject``, the masked loss, the step model.

Both networks read ``{"image": (n, feature_dim) float32, "tokens": (n, T) int32}`` and return
character probabilities ``(n, T, vocab_size)``. ``T`` is free, so the same network scores a
whole padded caption in training and any prefix in tests. Token 0 is padding: the embedding
masks it, the LSTM skips it and the loss never counts it.

The LSTM keeps Keras's defaults (tanh, sigmoid, no recurrent dropout, right padding), which
is what cuDNN needs, so TensorFlow runs it on cuDNN when a GPU is present.

Training on a CPU uses :func:`build_packed_training_network`: the same layers, fed captions
packed end to end into rows (``insta_kedro.captioning.batches.pack_captions``), the LSTM state
starting afresh at each caption's first character, so no LSTM step is spent on padding.
Its LSTM runs as one fused CPU op (:class:`FusedPackedLSTM`,
``insta_kedro.captioning.fused_lstm.op``) where that op can be built, and as Keras's RNN
otherwise: the same numbers either way.

Generation uses :class:`StepModel`: the image is projected once, then each step feeds one
token and the LSTM state, sharing the trained layers (no weights copied).
"""

import warnings
from dataclasses import dataclass
from typing import assert_never, get_args

import keras
import numpy as np
from keras import layers, ops

from insta_kedro.captioning.fused_lstm.op import fused_lstm_fits, load_packed_lstm_op, packed_lstm
from insta_kedro.captioning.params import Architecture

ARCHITECTURES = get_args(Architecture)
_MASK_WARNING = ".*does not support masking.*"


@keras.saving.register_keras_serializable(package="insta_kedro")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Mean cross-entropy (nats) over the non-padding targets of the batch; padding adds zero.

    The mean is taken over characters, not captions, so a long caption weighs more than a
    short one and the value divided by ln 2 is bits per character.
    """

    def __init__(self, name: str = "masked_sparse_categorical_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        """Per-token losses, 0 where the target is padding."""
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(y_true, 0), y_pred.dtype)
        return ops.sparse_categorical_crossentropy(y_true, y_pred) * mask

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        per_token = self.call(y_true, y_pred)
        count = ops.sum(ops.cast(ops.not_equal(y_true, 0), per_token.dtype))
        return ops.sum(per_token) / ops.maximum(count, 1.0)


def build_caption_model(
    architecture: Architecture,
    vocab_size: int,
    feature_dim: int,
    embedding_dim: int = 64,
    lstm_units: int = 128,
    hidden_units: int = 128,
    image_weight: float = 1.0,
    dropout: float = 0.0,
) -> keras.Model:
    """The brief's ``merge`` network, or ``inject`` (the image sets the LSTM's initial state)
    (:data:`Architecture`), for ``vocab_size`` tokens and image features of ``feature_dim``:
    ``embedding_dim``, ``lstm_units`` and ``hidden_units`` wide, the projected image scaled by
    ``image_weight``, ``dropout`` (in [0, 1)) before the hidden layer. Returns the uncompiled
    network."""
    image = keras.Input((feature_dim,), name="image")
    tokens = keras.Input((None,), dtype="int32", name="tokens")

    # An image that overpowers the characters kills the gradients: scale it by image_weight.
    image_projection = layers.Dense(lstm_units, activation="relu", name="image_dense")(image)
    image_projection = layers.Rescaling(image_weight, name="image_scale")(image_projection)

    chars = layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="char_embedding")(
        tokens
    )
    if architecture == "merge":
        sequence = layers.LSTM(lstm_units, return_sequences=True, name="char_lstm")(chars)
        image_per_step = layers.Reshape((1, lstm_units), name="image_time")(image_projection)
        merged = layers.Add(name="merge_add")([sequence, image_per_step])
    elif architecture == "inject":
        merged = layers.LSTM(lstm_units, return_sequences=True, name="char_lstm")(
            chars, initial_state=[image_projection, image_projection]
        )
    else:
        assert_never(architecture)
    merged = layers.Dropout(dropout, name="dropout")(merged)
    hidden = layers.Dense(hidden_units, activation="relu", name="hidden_dense")(merged)
    probs = layers.Dense(vocab_size, activation="softmax", name="char_probs")(hidden)
    return keras.Model({"image": image, "tokens": tokens}, probs, name=f"caption_{architecture}")


class CaptionStartLSTMCell(layers.Layer):
    """A trained LSTM cell whose state starts afresh where a packed caption begins.

    Each step reads ``[characters, carry]`` (``merge``) or ``[characters, carry, start]``
    (``inject``): the state carried from the previous position is multiplied by ``carry`` (0
    at a caption's first character, 1 elsewhere), then ``start`` is added (the projected image
    at an ``inject`` caption's first character, zeros elsewhere). Each caption so starts from
    the state the padded network's LSTM starts it with (zeros, or the image).
    """

    def __init__(self, cell: layers.LSTMCell, char_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.char_dim = char_dim
        self.state_size = cell.state_size
        self.output_size = cell.units

    def build(self, input_shape) -> None:
        self.built = True  # the wrapped cell is built: it belongs to the trained network

    def call(self, inputs, states, training=False):
        h, c = states
        carry = inputs[:, self.char_dim : self.char_dim + 1]
        h, c = h * carry, c * carry
        if inputs.shape[-1] > self.char_dim + 1:  # inject: the image starts the caption
            start = inputs[:, self.char_dim + 1 :]
            h, c = h + start, c + start
        return self.cell(inputs[:, : self.char_dim], [h, c], training=training)


class FusedPackedLSTM(layers.Layer):
    """``RNN(CaptionStartLSTMCell(cell))`` in one fused op: the same inputs and outputs.

    The input projection ``x . W + b`` runs as one matmul over every position, then the
    recurrence as ``insta_kedro.captioning.fused_lstm.op.packed_lstm`` (all steps in one C++ loop,
    forward and backward). The wrapped cell's weights are used, none copied.
    """

    def __init__(self, cell: layers.LSTMCell, char_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.char_dim = char_dim

    def build(self, input_shape) -> None:
        self.built = True  # the wrapped cell is built: it belongs to the trained network

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.cell.units)

    def call(self, inputs):
        chars = inputs[..., : self.char_dim]
        carry = inputs[..., self.char_dim]
        start = inputs[..., self.char_dim + 1 :] if inputs.shape[-1] > self.char_dim + 1 else None
        gates = ops.matmul(chars, self.cell.kernel) + self.cell.bias
        return packed_lstm(gates, self.cell.recurrent_kernel.value, carry, start)


def fused_lstm_available(cell: layers.LSTMCell) -> bool:
    """Whether :class:`FusedPackedLSTM` can run ``cell`` in this process: a CPU (the op has no GPU
    kernel), settings the op computes, and the op built."""
    import tensorflow as tf

    return (
        not tf.config.list_physical_devices("GPU")
        and fused_lstm_fits(cell)
        and load_packed_lstm_op() is not None
    )


def build_packed_training_network(model: keras.Model, fused: bool | None = None) -> keras.Model:
    """``model``'s layers (weights shared, none copied) reading packed caption rows.

    Inputs: ``image`` ``(n, feature_dim)`` for the batch's ``n`` captions; ``tokens``
    ``(rows, T)`` int32, the captions' input tokens end to end; ``starts`` ``(rows, T)``
    float32, 1 at each caption's first token; ``owner`` ``(rows, T)`` int32, the caption (row
    of ``image``) each position belongs to. Output: ``(rows, T, vocab_size)`` probabilities,
    at each real position those of the padded network for that caption and position (tested
    in tests/captioning/test_network.py), so the masked loss and its gradients are the padded
    batch's. Training it trains ``model``. ``fused``: the LSTM as :class:`FusedPackedLSTM`
    (default: where :func:`fused_lstm_available`) or as Keras's RNN.
    """
    architecture = caption_architecture(model)
    lstm = model.get_layer("char_lstm")
    embedding = model.get_layer("char_embedding")
    image = keras.Input((model.get_layer("image_dense").kernel.shape[0],), name="image")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    starts = keras.Input((None,), name="starts")
    owner = keras.Input((None,), dtype="int32", name="owner")

    projection = model.get_layer("image_scale")(model.get_layer("image_dense")(image))
    image_per_position = ops.take(projection, owner, axis=0)
    # The concatenation leaves the embedding's padding mask behind, so the LSTM tests no step
    # for padding: a packed row has padding only at its end, after its last caption.
    chars = embedding(tokens)
    step_inputs = [chars, ops.expand_dims(1.0 - starts, -1)]
    if architecture == "inject":  # each caption starts from its image
        step_inputs.append(ops.expand_dims(starts, -1) * image_per_position)
    step_inputs = ops.concatenate(step_inputs, axis=-1)
    if fused is None:
        fused = fused_lstm_available(lstm.cell)
    elif fused and not fused_lstm_available(lstm.cell):
        raise RuntimeError(
            "the fused LSTM cannot run this network in this process: it needs a CPU, Keras's "
            "default LSTM settings with units a multiple of 16, and g++ to build it (see the log)"
        )
    if fused:
        sequence = FusedPackedLSTM(lstm.cell, embedding.output_dim, name="packed_lstm")(step_inputs)
    else:
        cell = CaptionStartLSTMCell(lstm.cell, embedding.output_dim, name="packed_lstm_cell")
        sequence = layers.RNN(cell, return_sequences=True, name="packed_lstm")(step_inputs)
    merged = sequence + image_per_position if architecture == "merge" else sequence
    merged = model.get_layer("dropout")(merged)
    hidden = model.get_layer("hidden_dense")(merged)
    probs = model.get_layer("char_probs")(hidden)
    inputs = {"image": image, "tokens": tokens, "starts": starts, "owner": owner}
    return keras.Model(inputs, probs, name=f"packed_{architecture}")


def uses_fused_lstm(network: keras.Model) -> bool:
    """Whether a training network runs its LSTM as :class:`FusedPackedLSTM`."""
    return any(isinstance(layer, FusedPackedLSTM) for layer in network.layers)


def caption_architecture(model: keras.Model) -> str:
    """``merge`` or ``inject``, read from the network's layers."""
    return "merge" if any(layer.name == "merge_add" for layer in model.layers) else "inject"


@dataclass
class StepModel:
    """One character per call: ``start(images)`` once, then ``step(tokens, state)``.

    The state is a tuple of arrays with the batch first (LSTM h, LSTM c, projected image),
    so decoders can reorder it (beam search) with one ``np.take``.
    """

    image_encoder: keras.Model
    step_network: keras.Model
    architecture: str

    def __post_init__(self) -> None:
        import tensorflow as tf

        network = self.step_network
        self.vocab_size = int(network.outputs[0].shape[-1])
        # Traced once for any batch size and called as a concrete function: a step is a few
        # small ops, and the polymorphic tf.function's argument matching cost about 40 %
        # more per call on 2 CPU cores (538 vs 375 µs at 32 images).
        self._specs = [tf.TensorSpec((None, *i.shape[1:]), i.dtype) for i in network.inputs]
        self._input_dtypes = [spec.dtype.as_numpy_dtype for spec in self._specs]
        self._ahead: dict[tuple[int, int], object] = {}
        with warnings.catch_warnings():  # see build_step_model
            warnings.filterwarnings("ignore", message=_MASK_WARNING)
            self._step = tf.function(
                lambda *inputs: network(list(inputs), training=False)
            ).get_concrete_function(*self._specs)

    def start(self, images: np.ndarray) -> tuple[np.ndarray, ...]:
        """State before the first character: the image is projected here, once."""
        projection = np.asarray(self.image_encoder(np.asarray(images, np.float32), training=False))
        if self.architecture == "merge":
            zeros = np.zeros_like(projection)
            return (zeros, zeros, projection)
        return (projection, projection, projection[:, :0])

    def _inputs(self, tokens: np.ndarray, state: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        h, c, projection = state
        inputs = [tokens, h, c]
        if self.architecture == "merge":
            inputs.append(projection)
        typed = zip(inputs, self._input_dtypes, strict=True)
        return [np.asarray(x, dtype) for x, dtype in typed]

    def step(
        self, tokens: np.ndarray, state: tuple[np.ndarray, ...]
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Probabilities ``(n, vocab_size)`` of the next token after ``tokens`` ``(n,)``."""
        probs, h, c = self._step(*self._inputs(tokens, state))
        return probs.numpy(), (h.numpy(), c.numpy(), state[2])

    def step_ahead(
        self, tokens: np.ndarray, state: tuple[np.ndarray, ...], token: int, count: int
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        """:meth:`step`, and what would follow ``count`` copies of ``token`` after it.

        Returns the probabilities ``(n, vocab_size)`` of the next token after ``tokens``
        ``(n,)``, the probabilities ``(count, n, vocab_size)`` of the token after 1, 2, …
        ``count`` copies of ``token`` fed next, and the state after ``tokens`` (the copies
        are not fed into it). One call of a function traced once per ``(token, count)``.
        """
        key = (int(token), int(count))
        if key not in self._ahead:
            self._ahead[key] = self._trace_step_ahead(*key)
        probs, ahead, h, c = self._ahead[key](*self._inputs(tokens, state))
        return probs.numpy(), ahead.numpy(), (h.numpy(), c.numpy(), state[2])

    def _trace_step_ahead(self, token: int, count: int):
        import tensorflow as tf

        network = self.step_network

        def step_ahead(tokens, h, c, *image):
            probs, h, c = network([tokens, h, c, *image], training=False)
            copies = tf.fill(tf.shape(tokens), tf.constant(token, tokens.dtype))
            ahead, h_ahead, c_ahead = [], h, c
            for _ in range(count):
                after, h_ahead, c_ahead = network(
                    [copies, h_ahead, c_ahead, *image], training=False
                )
                ahead.append(after)
            stacked = tf.stack(ahead) if ahead else probs[None][:0]
            return probs, stacked, h, c

        with warnings.catch_warnings():  # see build_step_model
            warnings.filterwarnings("ignore", message=_MASK_WARNING)
            return tf.function(step_ahead).get_concrete_function(*self._specs)


def build_step_model(model: keras.Model) -> StepModel:
    """Step model sharing the weights of a trained ``merge`` or ``inject`` network."""
    architecture = caption_architecture(model)
    image_dense = model.get_layer("image_dense")
    lstm = model.get_layer("char_lstm")
    units = lstm.units

    image = keras.Input((image_dense.kernel.shape[0],), name="image")
    projection = model.get_layer("image_scale")(image_dense(image))
    image_encoder = keras.Model(image, projection, name="image_encoder")

    token = keras.Input((), dtype="int32", name="token")
    h_in = keras.Input((units,), name="h")
    c_in = keras.Input((units,), name="c")
    inputs = [token, h_in, c_in]
    with warnings.catch_warnings():  # one token per step: the embedding's mask has no use here
        warnings.filterwarnings("ignore", message=_MASK_WARNING)
        chars = model.get_layer("char_embedding")(token)
        h_out, (h_next, c_next) = lstm.cell(chars, [h_in, c_in])
    if architecture == "merge":
        image_in = keras.Input((units,), name="image_projection")
        inputs.append(image_in)
        h_out = layers.Add()([h_out, image_in])
    probs = model.get_layer("char_probs")(model.get_layer("hidden_dense")(h_out))
    step_network = keras.Model(inputs, [probs, h_next, c_next], name="step")
    return StepModel(image_encoder, step_network, architecture)
