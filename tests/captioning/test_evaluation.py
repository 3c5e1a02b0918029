"""Evaluation of the caption model: the shuffled-images baseline, the warnings."""

import math

import keras
import numpy as np
import pytest
from keras import layers

from insta_kedro.captioning.evaluation import _shuffled_bpc, few_ended_warning, shuffled_order


def _network_reading_the_character_off_the_image(vocab_size: int) -> keras.Model:
    """Every step's distribution comes from the image alone: a one-hot image gives its
    character probability 1 - 5e-5 whatever the tokens read."""
    image = keras.Input((vocab_size,), name="image")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    steps = layers.Embedding(vocab_size, vocab_size, embeddings_initializer="zeros")(tokens)
    per_step = layers.Reshape((1, vocab_size))(layers.Rescaling(10.0)(image))
    probs = layers.Softmax()(layers.Add()([steps, per_step]))
    return keras.Model({"image": image, "tokens": tokens}, probs)


def test_shuffled_images_bpc_never_scores_a_caption_with_its_own_image():
    vocab_size, characters = 8, [3, 4, 5]
    model = _network_reading_the_character_off_the_image(vocab_size)
    images = np.eye(vocab_size, dtype=np.float32)[characters]
    targets = np.repeat(np.array(characters, np.int32)[:, None], 4, axis=1)
    inputs = np.ones_like(targets)
    wrong = 1 / (math.exp(10) + vocab_size - 1)  # the probability of another image's character
    for seed in range(5):
        bpc = _shuffled_bpc(model, images, inputs, targets, repeats=4, seed=seed)
        assert bpc == pytest.approx(-math.log2(wrong), rel=1e-4)


def test_shuffled_order_moves_every_item():
    rng = np.random.default_rng(0)
    for n in range(2, 9):
        for _ in range(20):
            order = shuffled_order(n, rng)
            assert sorted(order) == list(range(n)) and (order != np.arange(n)).all()


def test_generated_captions_that_end_far_less_often_than_the_real_ones_are_warned_of():
    greedy = few_ended_warning(0.0, 0.6, "greedy", 150)
    assert "0% of the generated captions" in greedy and "60% of the real ones" in greedy
    assert "decoder sample ends captions" in greedy
    assert "decoder sample ends" not in few_ended_warning(0.2, 0.6, "sample", 150)
    assert few_ended_warning(0.3, 0.6, "beam", 150) is None
    assert few_ended_warning(0.0, 0.0, "greedy", 150) is None  # no real caption ends either
    assert few_ended_warning(None, 0.6, "greedy", 150) is None  # no test caption
