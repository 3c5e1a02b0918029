import keras
import numpy as np
import pytest

from insta_kedro.captioning.decoding import (
    beam_decode,
    decode_captions,
    greedy_decode,
    sample_decode,
)
from insta_kedro.captioning.network import build_caption_model, build_step_model
from insta_kedro.captioning.vocabulary import PAD_ID, START_ID, STOP_ID, UNK_ID

VOCAB, FEATURES, MAX_LEN = 10, 12, 15


@pytest.fixture(scope="module", params=["merge", "inject"])
def step_model(request):
    keras.utils.set_random_seed(3)
    model = build_caption_model(request.param, VOCAB, FEATURES, 8, 16, 16, image_weight=2.0)
    probs_layer = model.get_layer("char_probs")
    kernel, bias = probs_layer.get_weights()
    bias[UNK_ID] = bias[PAD_ID] = 3.0  # make the forbidden tokens the network's favourites
    bias[STOP_ID] = -1.0
    probs_layer.set_weights([kernel, bias])
    return build_step_model(model)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).normal(size=(5, FEATURES)).astype("float32")


def test_beam_width_one_equals_greedy(step_model, images):
    assert beam_decode(step_model, images, MAX_LEN, width=1) == greedy_decode(
        step_model, images, MAX_LEN
    )


@pytest.mark.parametrize("decoder", ["greedy", "sample", "beam"])
def test_never_emits_special_tokens_and_respects_max_len(step_model, images, decoder):
    results = decode_captions(step_model, images, MAX_LEN, decoder, top_p=0.9, batch_size=2)
    assert len(results) == len(images)
    for caption in results:
        assert not {PAD_ID, START_ID, UNK_ID, STOP_ID} & set(caption.tokens)
        assert len(caption.tokens) + caption.stopped <= MAX_LEN
        assert caption.mean_log_prob <= 0


def test_beam_finds_at_least_as_probable_captions_as_greedy(step_model, images):
    greedy = greedy_decode(step_model, images, MAX_LEN)
    beam = beam_decode(step_model, images, MAX_LEN, width=4)
    assert np.mean([b.mean_log_prob for b in beam]) >= np.mean([g.mean_log_prob for g in greedy])


def test_sampling_is_seeded_and_tiny_top_p_is_greedy(step_model, images):
    a = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=7)
    b = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=7)
    c = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=8)
    assert a == b and a != c
    nucleus_of_one = sample_decode(step_model, images, MAX_LEN, top_p=1e-9, seed=1)
    assert nucleus_of_one == greedy_decode(step_model, images, MAX_LEN)


def test_batching_does_not_change_greedy_results(step_model, images):
    assert decode_captions(step_model, images, MAX_LEN, batch_size=2) == decode_captions(
        step_model, images, MAX_LEN, batch_size=64
    )


def test_a_tiny_temperature_samples_the_most_probable_character(step_model, images):
    # p ** (1 / 1e-6) underflows to 0 for every character: sampling must not fall back to
    # padding then, but pick the most probable one, as greedy does.
    cold = sample_decode(step_model, images, MAX_LEN, temperature=1e-6, seed=1)
    assert cold == greedy_decode(step_model, images, MAX_LEN)
