import keras
import numpy as np
import pytest
import tensorflow as tf

from insta_kedro.captioning.fused_lstm.op import load_packed_lstm_op
from insta_kedro.captioning.network import (
    MaskedSparseCategoricalCrossentropy,
    build_caption_model,
    build_packed_training_network,
    build_step_model,
    caption_architecture,
    uses_fused_lstm,
)

VOCAB, FEATURES, T = 12, 20, 7


def tiny_model(architecture: str) -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_caption_model(
        architecture,
        VOCAB,
        FEATURES,
        embedding_dim=8,
        lstm_units=16,
        hidden_units=16,
        image_weight=0.5,
    )


def batch(n: int = 3):
    rng = np.random.default_rng(0)
    images = rng.normal(size=(n, FEATURES)).astype("float32")
    tokens = rng.integers(4, VOCAB, size=(n, T)).astype("int32")
    tokens[:, 0] = 1
    return images, tokens


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_shapes_and_probabilities(architecture):
    model = tiny_model(architecture)
    images, tokens = batch()
    probs = np.asarray(model({"image": images, "tokens": tokens}))
    assert probs.shape == (3, T, VOCAB)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    assert caption_architecture(model) == architecture


def test_padding_adds_zero_loss():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(VOCAB), size=(2, 4)).astype("float32")
    targets = np.array([[5, 6, 2, 0], [7, 2, 0, 0]])
    loss = float(MaskedSparseCategoricalCrossentropy()(targets, probs))
    picked = [probs[0, 0, 5], probs[0, 1, 6], probs[0, 2, 2], probs[1, 0, 7], probs[1, 1, 2]]
    assert loss == pytest.approx(-np.mean(np.log(picked)), rel=1e-5)
    # whatever the network says at padded positions changes nothing
    other = probs.copy()
    other[0, 3] = other[1, 2:] = np.eye(VOCAB)[0]
    assert float(MaskedSparseCategoricalCrossentropy()(targets, other)) == pytest.approx(loss)


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_padded_caption_has_the_same_probabilities_as_the_unpadded_one(architecture):
    model = tiny_model(architecture)
    images, tokens = batch(1)
    padded = np.concatenate([tokens, np.zeros((1, 5), "int32")], axis=1)
    short = np.asarray(model({"image": images, "tokens": tokens}))
    long = np.asarray(model({"image": images, "tokens": padded}))
    np.testing.assert_allclose(long[:, :T], short, atol=1e-6)


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_step_model_probabilities_equal_the_full_model(architecture):
    model = tiny_model(architecture)
    images, tokens = batch()
    full = np.asarray(model({"image": images, "tokens": tokens}))
    step_model = build_step_model(model)
    state = step_model.start(images)
    steps = []
    for t in range(T):
        probs, state = step_model.step(tokens[:, t], state)
        steps.append(probs)
    np.testing.assert_allclose(np.stack(steps, axis=1), full, atol=1e-5)
    assert step_model.vocab_size == VOCAB


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_step_ahead_gives_what_follows_copies_of_a_token_without_feeding_them(architecture):
    step_model = build_step_model(tiny_model(architecture))
    images, tokens = batch()
    state = step_model.start(images)
    probs, ahead, next_state = step_model.step_ahead(tokens[:, 0], state, token=3, count=2)
    expected_probs, expected_state = step_model.step(tokens[:, 0], state)
    np.testing.assert_allclose(probs, expected_probs, atol=1e-6)
    for got, want in zip(next_state, expected_state, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    copies, followed = np.full(len(images), 3), expected_state
    for k in range(2):
        after, followed = step_model.step(copies, followed)
        np.testing.assert_allclose(ahead[k], after, atol=1e-6)
    _, none_ahead, _ = step_model.step_ahead(tokens[:, 0], state, token=3, count=0)
    assert none_ahead.shape == (0, len(images), VOCAB)


def test_image_weight_zero_makes_merge_ignore_the_image():
    keras.utils.set_random_seed(0)
    model = build_caption_model("merge", VOCAB, FEATURES, 8, 16, 16, image_weight=0.0)
    images, tokens = batch(2)
    a = np.asarray(model({"image": images, "tokens": tokens}))
    b = np.asarray(model({"image": images[::-1], "tokens": tokens}))
    np.testing.assert_allclose(a, b, atol=1e-6)


def packed_batch():
    """Three captions (7, 3 and 5 tokens) packed in two rows of 12 steps, and where each is."""
    images, tokens = batch(3)
    # row 0: caption 1 then caption 0 (3 + 7 of 12 steps); row 1: caption 2, then padding
    rows = np.zeros((2, 12), "int32")
    rows[0, :3], rows[0, 3:10], rows[1, :5] = tokens[1, :3], tokens[0], tokens[2, :5]
    starts = np.zeros((2, 12), "float32")
    starts[0, 0] = starts[0, 3] = starts[1, 0] = 1.0
    owner = np.zeros((2, 12), "int32")
    owner[0, :3], owner[0, 3:10], owner[1, :5] = 1, 0, 2
    inputs = {"image": images, "tokens": rows, "starts": starts, "owner": owner}
    return inputs, tokens, [(0, 3), (0, 0), (1, 0)], [7, 3, 5]


@pytest.mark.parametrize("fused", [False, True], ids=["keras-lstm", "fused-lstm"])
@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_packed_network_gives_each_caption_the_padded_networks_probabilities(
    architecture, fused, request
):
    if fused:
        request.getfixturevalue("fused_lstm_op")
    model = tiny_model(architecture)
    packed_network = build_packed_training_network(model, fused=fused)
    assert uses_fused_lstm(packed_network) == fused
    assert {id(w) for w in packed_network.weights} == {id(w) for w in model.weights}
    inputs, tokens, places, lengths = packed_batch()
    images = inputs["image"]
    packed = np.asarray(packed_network(inputs))
    for caption, (row, position) in enumerate(places):
        length = lengths[caption]
        alone = model(
            {
                "image": images[caption : caption + 1],
                "tokens": tokens[caption : caption + 1, :length],
            }
        )
        np.testing.assert_allclose(
            packed[row, position : position + length], np.asarray(alone)[0], atol=1e-6
        )


@pytest.mark.usefixtures("fused_lstm_op")
@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_fused_and_keras_lstm_give_the_same_gradients(architecture):
    model = tiny_model(architecture)
    inputs, _, _, _ = packed_batch()
    targets = np.roll(inputs["tokens"], -1, axis=1) * (inputs["tokens"] != 0)
    loss = MaskedSparseCategoricalCrossentropy()
    gradients = []
    for fused in (False, True):
        network = build_packed_training_network(model, fused=fused)
        with tf.GradientTape() as tape:
            value = loss(targets, network(inputs, training=False))
        gradients.append(tape.gradient(value, model.trainable_weights))
    for weight, keras_gradient, fused_gradient in zip(
        model.trainable_weights, *gradients, strict=True
    ):
        np.testing.assert_allclose(
            tf.convert_to_tensor(fused_gradient).numpy(),  # the embedding's are IndexedSlices
            tf.convert_to_tensor(keras_gradient).numpy(),
            atol=1e-6,
            err_msg=weight.path,
        )


def test_without_a_compiler_the_packed_network_keeps_keras_lstm(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", "/bin/false")
    monkeypatch.setenv("INSTA_KEDRO_OP_CACHE", str(tmp_path))
    load_packed_lstm_op.cache_clear()
    try:
        network = build_packed_training_network(tiny_model("merge"))
        with pytest.raises(RuntimeError, match="needs a CPU"):
            build_packed_training_network(tiny_model("merge"), fused=True)
    finally:
        load_packed_lstm_op.cache_clear()
    assert not uses_fused_lstm(network)
    inputs, _, _, _ = packed_batch()
    assert np.asarray(network(inputs)).shape == (2, 12, VOCAB)
