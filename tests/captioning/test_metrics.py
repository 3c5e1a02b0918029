import math

import numpy as np
import pytest

from insta_kedro.captioning.metrics import (
    bits_per_character,
    bleu_scores,
    copy_rate,
    distinct_n,
    english_words,
    hashtag_rate,
    real_word_rate,
    text_metrics,
    words,
)


def test_words_set_hashtags_mentions_and_emojis_aside():
    assert words("Happy birthday @kylie!! 🎂 #love 2020 mom's") == ["happy", "birthday", "mom's"]


def test_real_word_rate_uses_the_english_list():
    word_list = english_words()
    assert real_word_rate(["happy birthday xqzt"], word_list) == pytest.approx(2 / 3)
    assert real_word_rate(["#only @tags 🎂"], word_list) is None


def test_a_typographic_apostrophe_is_the_same_word():
    # Instagram's keyboards write ’ (U+2019); wordfreq counts "it’s" as "it's".
    assert words("It’s what I’m doing") == ["it's", "what", "i'm", "doing"]
    assert real_word_rate(["don’t stop, it’s fine"], english_words()) == 1.0


def test_rates_and_distinct_n():
    assert hashtag_rate(["a #b", "c", "# d", "#e"]) == 0.5
    assert distinct_n(["a b a b"], 1) == 0.5
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert copy_rate(["seen ", "new"], ["seen", "other"]) == 0.5


def test_bleu_is_one_for_a_copy_and_low_for_unrelated_text():
    same = bleu_scores(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert same["bleu_4"] == pytest.approx(1.0)
    other = bleu_scores(["dogs run"], ["the cat sat on the mat"])
    assert other["bleu_1"] < 0.2
    assert bleu_scores([""], [""])["bleu_1"] is None  # no reference words: not scored


def test_text_metrics_keys():
    metrics = text_metrics(["good #day"], ["good morning"], ["hi"], english_words(), max_len=20)
    assert metrics["real_word_rate"] == 1.0 and metrics["hashtag_rate"] == 1.0
    assert {"bleu_1", "bleu_4", "distinct_2", "copy_rate", "mean_length"} <= set(metrics)


def test_lengths_are_those_the_model_reads_and_writes():
    # max_len 5: "ab" ends (its stop token fits), "abcde" runs into the limit and the
    # 9-character caption is cut there, before its stop token.
    captions = ["ab", "abcde", "abcdefghi"]
    metrics = text_metrics(captions, captions, [], english_words(), max_len=5)
    assert metrics["ended_rate"] == pytest.approx(1 / 3)
    assert metrics["mean_length"] == pytest.approx((2 + 5 + 5) / 3)
    assert text_metrics([], [], [], english_words(), max_len=5)["ended_rate"] is None


def test_bits_per_character():
    assert bits_per_character(math.log(2) * 10, 10) == pytest.approx(1.0)
    assert np.isclose(bits_per_character(0.0, 0), 0.0)
