import keras
import numpy as np
import pytest

from insta_kedro.captioning.decoding import (
    END_UNK_RUN,
    NOT_CHARACTERS,
    beam_decode,
    decode_captions,
    end_probability,
    greedy_decode,
    repeated_ngram_bans,
    sample_decode,
)
from insta_kedro.captioning.network import (
    MaskedSparseCategoricalCrossentropy,
    build_caption_model,
    build_step_model,
)
from insta_kedro.captioning.vocabulary import (
    PAD_ID,
    START_ID,
    STOP_ID,
    UNK_ID,
    build_vocabulary,
    encode_captions,
)

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


def same_characters_until_one_ends(sampled, greedy) -> bool:
    """Whether each sampled caption writes greedy's characters until one of the two ends
    (sampling ends captions with the model's probability, greedy at a most probable stop)."""
    return all(
        s.tokens[: min(len(s.tokens), len(g.tokens))]
        == g.tokens[: min(len(s.tokens), len(g.tokens))]
        for s, g in zip(sampled, greedy, strict=True)
    )


def test_sampling_is_seeded_and_tiny_top_p_is_greedy(step_model, images):
    a = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=7)
    b = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=7)
    c = sample_decode(step_model, images, MAX_LEN, temperature=1.5, seed=8)
    assert a == b and a != c
    nucleus_of_one = sample_decode(step_model, images, MAX_LEN, top_p=1e-9, seed=1)
    greedy = greedy_decode(step_model, images, MAX_LEN)
    assert same_characters_until_one_ends(nucleus_of_one, greedy)


def test_batching_does_not_change_greedy_results(step_model, images):
    assert decode_captions(step_model, images, MAX_LEN, batch_size=2) == decode_captions(
        step_model, images, MAX_LEN, batch_size=64
    )


def test_a_tiny_temperature_samples_the_most_probable_character(step_model, images):
    # p ** (1 / 1e-6) underflows to 0 for every character: sampling must not fall back to
    # padding then, but pick the most probable one, as greedy does.
    cold = sample_decode(step_model, images, MAX_LEN, temperature=1e-6, seed=1)
    assert same_characters_until_one_ends(cold, greedy_decode(step_model, images, MAX_LEN))


def constant_step_model(stop: float, unk: float = 0.0):
    """The step model of a network that gives every step the same probabilities: ``stop``
    to the stop token, ``unk`` to UNK, the rest shared by the characters."""
    model = build_caption_model("merge", VOCAB, FEATURES, 8, 16, 16)
    probs_layer = model.get_layer("char_probs")
    kernel, _ = probs_layer.get_weights()
    n_chars = VOCAB - 4
    probs = np.full(VOCAB, (1.0 - stop - unk) / n_chars)
    probs[[PAD_ID, START_ID]], probs[STOP_ID], probs[UNK_ID] = 1e-12, stop, max(unk, 1e-12)
    probs_layer.set_weights([np.zeros_like(kernel), np.log(probs).astype("float32")])
    return build_step_model(model)


def test_temperature_and_top_p_do_not_stop_captions_from_ending():
    # The stop token has 5 % at every step, the least of any token: the top-0.9 nucleus and
    # temperature 0.8 alone would never draw it. A caption ends within MAX_LEN tokens as
    # often as the model says: 1 - 0.95 ** MAX_LEN (54 %).
    step_model = constant_step_model(stop=0.05)
    images = np.zeros((600, FEATURES), dtype="float32")
    captions = sample_decode(step_model, images, MAX_LEN, temperature=0.8, top_p=0.9, seed=3)
    ended = np.mean([c.stopped for c in captions])
    assert ended == pytest.approx(1 - 0.95**MAX_LEN, abs=0.06)
    mean_lengths = [len(c.tokens) for c in captions if c.stopped]
    expected = sum(k * 0.95**k * 0.05 for k in range(MAX_LEN)) / (1 - 0.95**MAX_LEN)
    assert np.mean(mean_lengths) == pytest.approx(expected, abs=0.7)


def constant_end(stop: float, unk: float) -> float:
    """A constant network's probability of ending at a step: the stop token, or 1 to
    ``END_UNK_RUN`` UNK and then the stop token."""
    return stop * sum(unk**k for k in range(END_UNK_RUN + 1))


def test_end_probability_sums_the_stop_after_every_run_of_unk_up_to_the_longest():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(VOCAB), size=4)
    after_unks = rng.dirichlet(np.ones(VOCAB), size=(3, 4))
    s, u = STOP_ID, UNK_ID
    deepest = after_unks[1, :, s] + after_unks[1, :, u] * after_unks[2, :, s]
    expected = probs[:, s] + probs[:, u] * (after_unks[0, :, s] + after_unks[0, :, u] * deepest)
    np.testing.assert_allclose(end_probability(probs, after_unks), expected)
    np.testing.assert_allclose(end_probability(probs, after_unks[:0]), probs[:, s])


def test_the_end_is_drawn_with_the_model_probability_and_counted_in_the_log_prob():
    # UNK 30 % (never written), and the stop token 10 % at every step, after UNK as well:
    # a caption ends at each step with 0.1 + 0.3 * 0.1 + 0.3 ** 2 * 0.1 + ... (14 %).
    step_model = constant_step_model(stop=0.1, unk=0.3)
    p_end = constant_end(stop=0.1, unk=0.3)
    images = np.zeros((600, FEATURES), dtype="float32")
    captions = sample_decode(step_model, images, MAX_LEN, top_p=0.5, seed=4)
    ended = np.mean([c.stopped for c in captions])
    assert ended == pytest.approx(1 - (1 - p_end) ** MAX_LEN, abs=0.05)
    char = np.log(0.6 / (VOCAB - 4))
    for caption in captions[:20]:
        end = np.log(p_end) if caption.stopped else 0.0
        expected = (len(caption.tokens) * char + end) / (len(caption.tokens) + caption.stopped)
        assert caption.mean_log_prob == pytest.approx(expected, rel=1e-4)
        assert UNK_ID not in caption.tokens


def test_sampling_with_no_character_to_write_ends_at_once():
    keras.utils.set_random_seed(5)
    step_model = build_step_model(build_caption_model("merge", 4, FEATURES, 8, 16, 16))
    images = np.random.default_rng(1).normal(size=(3, FEATURES)).astype("float32")
    for caption in sample_decode(step_model, images, MAX_LEN, temperature=0.5, seed=2):
        assert caption.tokens == [] and caption.stopped and np.isfinite(caption.mean_log_prob)


def trained_on(captions: list[str], min_char_count: int, max_len: int):
    """The step model of a small network trained (seeded, 60 epochs) on ``captions`` with
    blank images, and its vocabulary (``min_char_count``, ``max_len``)."""
    vocab = build_vocabulary(captions, min_char_count=min_char_count, max_len=max_len)
    keras.utils.set_random_seed(0)
    model = build_caption_model("merge", vocab.size, 4, 8, 16, 16)
    model.compile(keras.optimizers.Adam(0.02), MaskedSparseCategoricalCrossentropy())
    inputs, targets = encode_captions(vocab, captions)
    images = np.zeros((len(captions), 4), dtype="float32")
    batch_size = len(captions)
    model.fit(
        {"image": images, "tokens": inputs}, targets, epochs=60, batch_size=batch_size, verbose=0
    )
    return build_step_model(model), vocab


def trained_on_endings(endings: list[str]):
    """A network trained on "sunny day" followed by each of ``endings`` (4 times each, fewer
    than the vocabulary's min_char_count: characters it lacks, UNK), and its vocabulary."""
    return trained_on([f"sunny day{e}" for e in endings for _ in range(4)], 5, 20)


@pytest.fixture(scope="module")
def ends_with_rare_characters():
    """A network trained on captions that all end with an emoji the vocabulary lacks (UNK),
    and its vocabulary."""
    return trained_on_endings(list("🔥🌅🤍✨💚"))


def test_a_caption_ends_where_the_model_ends_it_after_a_character_it_cannot_write(
    ends_with_rare_characters,
):
    step_model, vocab = ends_with_rare_characters
    assert "🔥" not in vocab.chars  # each emoji 4 times, fewer than min_char_count
    images = np.zeros((10, 4), dtype="float32")
    captions = sample_decode(step_model, images, 20, temperature=0.8, top_p=0.9, seed=0)
    assert [vocab.decode(c.tokens) for c in captions] == ["sunny day"] * 10
    assert all(c.stopped for c in captions)


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_greedy_and_beam_end_where_the_end_through_unk_beats_every_character(decoder):
    # The stop token (9 %) is below every character (10.2 %), but with UNK 30 % and the stop
    # token after it, ending (12.8 %) is the most probable: the caption ends at once.
    step_model = constant_step_model(stop=0.09, unk=0.3)
    images = np.zeros((3, FEATURES), dtype="float32")
    for caption in decode_captions(step_model, images, MAX_LEN, decoder, beam_width=3):
        assert caption.tokens == [] and caption.stopped
        assert caption.mean_log_prob == pytest.approx(np.log(constant_end(0.09, 0.3)), rel=1e-5)


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_greedy_and_beam_end_where_the_model_ends_after_a_character_it_cannot_write(
    ends_with_rare_characters, decoder
):
    step_model, vocab = ends_with_rare_characters
    images = np.zeros((4, 4), dtype="float32")
    captions = decode_captions(step_model, images, 20, decoder, beam_width=3)
    assert [vocab.decode(c.tokens) for c in captions] == ["sunny day"] * 4
    assert all(c.stopped for c in captions)


@pytest.fixture(scope="module")
def ends_with_two_rare_characters():
    """A network trained on captions that all end with two code points the vocabulary lacks
    (an emoji and its variation selector, or two emojis: two UNK), and its vocabulary."""
    return trained_on_endings(["❤️", "🔥🎉", "✨🌅", "🤍✌", "💚🙏"])


@pytest.mark.parametrize("decoder", ["greedy", "sample", "beam"])
def test_a_caption_ends_where_the_model_ends_it_after_two_characters_it_cannot_write(
    ends_with_two_rare_characters, decoder
):
    step_model, vocab = ends_with_two_rare_characters
    assert not {"❤", "\ufe0f", "🔥"} & set(vocab.chars)
    images = np.zeros((6, 4), dtype="float32")
    captions = decode_captions(step_model, images, 20, decoder, temperature=0.8, top_p=0.9)
    assert [vocab.decode(c.tokens) for c in captions] == ["sunny day"] * 6
    assert all(c.stopped for c in captions)


def test_repeated_ngram_bans_forbids_each_character_that_would_repeat_an_ngram():
    # "cdecd": the 3-gram "cde" was written after "cd", so "e" is banned there; "dec" and
    # "ecd" have no earlier "cd" to repeat
    c, d, e = 4, 5, 6
    prefix = np.array([[c, d, e, c, d], [c, d, e, c, e], [c, c, c, c, c]])
    bans = repeated_ngram_bans(prefix, 3, VOCAB)
    assert [np.flatnonzero(row).tolist() for row in bans] == [[e], [], [c]]
    assert not repeated_ngram_bans(prefix, 0, VOCAB).any()
    assert not repeated_ngram_bans(prefix[:, :2], 3, VOCAB).any()  # no 3-gram yet
    assert [np.flatnonzero(row).tolist() for row in repeated_ngram_bans(prefix, 1, VOCAB)] == [
        [c, d, e],
        [c, d, e],
        [c],
    ]


def test_repeated_ngram_bans_never_bans_the_stop_token():
    prefix = np.array([[4, STOP_ID, 4]])  # a finished row carries on after its stop token
    assert not repeated_ngram_bans(prefix, 2, VOCAB)[:, NOT_CHARACTERS].any()


@pytest.fixture(scope="module")
def loops():
    """A network trained on "la la land", "la la la land", … (2 to 9 "la"), whose most
    probable text loops ("la la la la …"), and its vocabulary."""
    return trained_on(["la " * k + "land" for k in range(2, 10) for _ in range(3)], 1, 40)


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_greedy_and_beam_loop_to_max_len_without_ngram_blocking(loops, decoder):
    step_model, vocab = loops
    images = np.zeros((2, 4), dtype="float32")
    for caption in decode_captions(step_model, images, 40, decoder, beam_width=3):
        assert vocab.decode(caption.tokens) == ("la " * 14)[:40] and not caption.stopped


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_blocking_repeated_ngrams_ends_the_loop_with_a_caption_the_model_ends(loops, decoder):
    step_model, vocab = loops
    images = np.zeros((2, 4), dtype="float32")
    captions = decode_captions(
        step_model, images, 40, decoder, beam_width=3, no_repeat_ngram_size=6
    )
    assert [vocab.decode(c.tokens) for c in captions] == ["la la land"] * 2
    assert all(c.stopped for c in captions)


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_no_caption_repeats_a_blocked_ngram(step_model, images, decoder):
    captions = decode_captions(
        step_model, images, 40, decoder, beam_width=3, no_repeat_ngram_size=3
    )
    for caption in captions:
        grams = [tuple(caption.tokens[i : i + 3]) for i in range(len(caption.tokens) - 2)]
        assert len(grams) == len(set(grams))
