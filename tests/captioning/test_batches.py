"""Training batches: balanced, cut to their longest caption or packed, with the same loss and
gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from insta_kedro.captioning.batches import (
    balanced_batch_size,
    batches_per_epoch,
    caption_batches,
    pack_captions,
    trimmed_length,
)
from insta_kedro.captioning.network import build_packed_training_network
from insta_kedro.captioning.training import new_caption_model
from insta_kedro.captioning.vocabulary import build_vocabulary, encode_captions
from tests.captioning.conftest import TINY_PARAMS

MAX_LEN = 40


def captions(n: int = 30, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["ab cd"[: rng.integers(1, 6)] * int(rng.integers(1, 6)) for _ in range(n)]


def encoded(n: int = 30):
    texts = captions(n)
    vocab = build_vocabulary(texts, 1, MAX_LEN)
    inputs, targets = encode_captions(vocab, texts)
    images = np.random.default_rng(1).normal(size=(n, 6)).astype(np.float32)
    return vocab, images, inputs, targets


def steps_of(lengths, multiple: int = 8) -> int:
    return int(trimmed_length(np.asarray(lengths), multiple, MAX_LEN))


def test_trimmed_length_rounds_up_and_stays_within_max_len():
    assert steps_of([3, 9, 1]) == 16
    assert steps_of([16]) == 16
    assert steps_of([39], 16) == 40
    assert steps_of([5], 1) == 5


def test_balanced_batch_size_leaves_no_small_remainder_batch():
    assert balanced_batch_size(97, 64) == 49  # 49 + 48, not 64 + 33
    assert balanced_batch_size(130, 64) == 44  # 44 + 44 + 42, not 64 + 64 + 2
    assert balanced_batch_size(100, 10) == 10
    assert balanced_batch_size(5, 64) == 5
    for n in range(1, 200):
        for batch_size in (10, 32, 64):
            size = balanced_batch_size(n, batch_size)
            assert size <= batch_size and -(-n // size) == -(-n // batch_size)


@pytest.mark.parametrize("shuffle_seed", [0, None])
def test_caption_batches_are_the_full_rows_cut_to_their_longest_caption(shuffle_seed):
    _, images, inputs, targets = encoded()
    lengths = (targets != 0).sum(axis=1)
    data = caption_batches(images, inputs, targets, 12, shuffle_seed, length_multiple=4)
    epochs = []
    for _ in range(2):
        seen, sizes = [], []
        for x, y in data.as_numpy_iterator():
            steps = y.shape[1]
            rows = [int(np.flatnonzero((images == image).all(axis=1))[0]) for image in x["image"]]
            seen += rows
            sizes.append(len(rows))
            assert steps == steps_of(lengths[rows], 4) < MAX_LEN
            np.testing.assert_array_equal(x["tokens"], inputs[rows, :steps])
            np.testing.assert_array_equal(y, targets[rows, :steps])
            assert not targets[rows, steps:].any()  # only padding was cut
        assert sorted(seen) == list(range(len(inputs)))
        epochs.append(seen)
    if shuffle_seed is None:  # validation: in order, batches of batch_size
        assert epochs[0] == epochs[1] == list(range(len(inputs)))
        assert sizes == [12, 12, 6]
    else:  # training: reshuffled every epoch, balanced batches
        assert epochs[0] != epochs[1]
        assert sizes == [10, 10, 10]


@pytest.mark.parametrize("shuffle_seed", [0, None])
def test_repeated_batches_are_whole_passes_of_batches_per_epoch(shuffle_seed):
    """``fit`` takes ``batches_per_epoch`` batches per epoch from the repeated dataset:
    each epoch must be one whole pass, every caption once."""
    _, images, inputs, targets = encoded()
    steps = batches_per_epoch(len(inputs), 12, shuffled=shuffle_seed is not None)
    data = caption_batches(images, inputs, targets, 12, shuffle_seed, repeat=True)
    batches = data.take(3 * steps).as_numpy_iterator()
    passes = []
    for _ in range(3):
        rows = []
        for _ in range(steps):
            x, _ = next(batches)
            rows += [int(np.flatnonzero((images == image).all(axis=1))[0]) for image in x["image"]]
        assert sorted(rows) == list(range(len(inputs)))
        passes.append(rows)
    if shuffle_seed is None:
        assert passes[0] == passes[1] == passes[2]
    else:
        assert passes[0] != passes[1]


@pytest.mark.parametrize("shuffle_seed", [0, None])
def test_batches_run_without_the_autotuning_model(shuffle_seed):
    # Its optimization thread made fit wait after the last epoch (insta_kedro.vision.tf_data).
    _, images, inputs, targets = encoded()
    data = caption_batches(images, inputs, targets, 12, shuffle_seed, repeat=True)
    assert data.options().autotune.enabled is False


def _model(vocab, feature_dim: int, optimizer: str) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = new_caption_model(vocab, feature_dim, {**TINY_PARAMS, "dropout": 0.0})
    if optimizer == "sgd":
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss=model.loss)
    return model


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_a_trimmed_batch_has_the_loss_and_gradients_of_the_full_batch(architecture):
    vocab, images, inputs, targets = encoded(12)
    steps = steps_of((targets != 0).sum(axis=1), 1)
    assert steps < MAX_LEN
    keras.utils.set_random_seed(0)
    model = new_caption_model(
        vocab, images.shape[1], {**TINY_PARAMS, "architecture": architecture, "dropout": 0.0}
    )

    def loss_and_gradients(width: int):
        with tf.GradientTape() as tape:
            probs = model({"image": images, "tokens": inputs[:, :width]}, training=True)
            loss = model.loss(targets[:, :width], probs)
        return float(loss), tape.gradient(loss, model.trainable_variables)

    full_loss, full_gradients = loss_and_gradients(MAX_LEN)
    cut_loss, cut_gradients = loss_and_gradients(steps)
    assert cut_loss == pytest.approx(full_loss, rel=1e-6)
    for full, cut in zip(full_gradients, cut_gradients, strict=True):
        dense = [np.asarray(tf.convert_to_tensor(g)) for g in (full, cut)]  # embedding: sparse
        np.testing.assert_allclose(dense[1], dense[0], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_training_step_on_a_trimmed_batch_gives_the_same_weights(optimizer):
    vocab, images, inputs, targets = encoded(12)
    steps = steps_of((targets != 0).sum(axis=1), 8)
    assert steps < MAX_LEN
    weights = []
    for width in (MAX_LEN, steps):
        model = _model(vocab, images.shape[1], optimizer)
        loss = model.train_on_batch(
            {"image": images, "tokens": inputs[:, :width]}, targets[:, :width]
        )
        weights.append((loss, model.get_weights()))
    (full_loss, full), (cut_loss, cut) = weights
    assert cut_loss == pytest.approx(full_loss, rel=1e-6)
    for a, b in zip(full, cut, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_packing_lays_every_caption_once_end_to_end_in_few_rows():
    _, _, inputs, targets = encoded()
    lengths = (targets != 0).sum(axis=1)
    tokens, packed_targets, starts, owner = pack_captions(inputs, targets, MAX_LEN)
    assert tokens.shape == packed_targets.shape == starts.shape == owner.shape
    assert tokens.shape[1] == MAX_LEN
    assert tokens.shape[0] == -(-lengths.sum() // MAX_LEN)  # first fit fills these rows
    found = []
    for row, position in zip(*np.nonzero(starts), strict=True):
        caption = owner[row, position]
        span = slice(position, position + lengths[caption])
        np.testing.assert_array_equal(tokens[row, span], inputs[caption, : lengths[caption]])
        np.testing.assert_array_equal(
            packed_targets[row, span], targets[caption, : lengths[caption]]
        )
        assert (owner[row, span] == caption).all()
        found.append(caption)
    assert sorted(found) == list(range(len(inputs)))
    assert (packed_targets != 0).sum() == lengths.sum()  # nothing else but padding


def test_a_caption_longer_than_the_rows_is_refused():
    _, _, inputs, targets = encoded()
    with pytest.raises(ValueError, match="does not fit"):
        pack_captions(inputs, targets, 3)


def test_packed_batches_hold_the_padded_batches_captions():
    _, images, inputs, targets = encoded()
    padded = caption_batches(images, inputs, targets, 12, 0, length_multiple=4)
    packed = caption_batches(images, inputs, targets, 12, 0, length_multiple=4, packed=True)
    for (x, y), (px, py) in zip(
        padded.as_numpy_iterator(), packed.as_numpy_iterator(), strict=True
    ):
        np.testing.assert_array_equal(px["image"], x["image"])
        assert py.shape[1] == y.shape[1]  # rows as long as the trimmed batch
        assert py.shape[0] < y.shape[0]
        assert sorted(py[py != 0].tolist()) == sorted(y[y != 0].tolist())
        assert px["starts"].sum() == len(y)


@pytest.mark.parametrize("architecture", ["merge", "inject"])
def test_a_packed_batch_has_the_loss_and_gradients_of_the_padded_batch(architecture):
    vocab, images, inputs, targets = encoded(12)
    steps = steps_of((targets != 0).sum(axis=1), 1)
    keras.utils.set_random_seed(0)
    model = new_caption_model(
        vocab, images.shape[1], {**TINY_PARAMS, "architecture": architecture, "dropout": 0.0}
    )
    packed_network = build_packed_training_network(model)
    tokens, packed_targets, starts, owner = pack_captions(inputs, targets, steps)
    assert len(tokens) < len(inputs)

    def loss_and_gradients(network, x, y):
        with tf.GradientTape() as tape:
            loss = model.loss(y, network(x, training=True))
        return float(loss), tape.gradient(loss, model.trainable_variables)

    padded = loss_and_gradients(model, {"image": images, "tokens": inputs}, targets)
    packed_x = {"image": images, "tokens": tokens, "starts": starts, "owner": owner}
    packed = loss_and_gradients(packed_network, packed_x, packed_targets)
    assert packed[0] == pytest.approx(padded[0], rel=1e-6)
    for want, got in zip(padded[1], packed[1], strict=True):
        dense = [np.asarray(tf.convert_to_tensor(g)) for g in (want, got)]  # embedding: sparse
        np.testing.assert_allclose(dense[1], dense[0], rtol=1e-4, atol=1e-6)
