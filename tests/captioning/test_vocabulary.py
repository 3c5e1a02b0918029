import json

import numpy as np

from insta_kedro.captioning.vocabulary import (
    PAD_ID,
    START_ID,
    STOP_ID,
    UNK_ID,
    CaptionVocabulary,
    build_vocabulary,
    encode_captions,
)

CAPTIONS = ["aab #tag", "ab @me 👍🏽", "ba"]


def test_rare_characters_become_unk_and_frequent_ones_come_first():
    vocab = build_vocabulary(CAPTIONS, min_char_count=2, max_len=20)
    assert vocab.chars == ("a", " ", "b")  # 5 a's; 3 spaces and 3 b's, ties by code point
    assert "#" not in vocab.chars and "👍" not in vocab.chars
    assert vocab.encode("a#") == [START_ID, vocab.char_id("a"), UNK_ID, STOP_ID]
    assert vocab.size == 4 + len(vocab.chars)


def test_only_the_characters_the_model_predicts_are_counted():
    # max_len 4: the model predicts "abcd" of "abcd!!!!" (encode cuts the rest)
    vocab = build_vocabulary(["abcd!!!!", "abcd"], min_char_count=2, max_len=4)
    assert vocab.chars == ("a", "b", "c", "d")
    assert "!" not in vocab.char_counts
    assert vocab.encode("abcd!!!!")[1:] == [vocab.char_id(c) for c in "abcd"]


def test_multi_code_point_emoji_is_kept_as_its_code_points():
    vocab = build_vocabulary(["👍🏽 👍🏽"], min_char_count=1, max_len=20)
    assert {"👍", "🏽"} <= set(vocab.chars)
    assert vocab.decode(vocab.encode("👍🏽")) == "👍🏽"


def test_encode_pads_with_zero_and_shifts_targets_by_one():
    vocab = build_vocabulary(CAPTIONS, min_char_count=1, max_len=6)
    inputs, targets = encode_captions(vocab, ["ab", "aab #tag"])
    a, b = vocab.char_id("a"), vocab.char_id("b")
    assert inputs[0].tolist() == [START_ID, a, b, PAD_ID, PAD_ID, PAD_ID]
    assert targets[0].tolist() == [a, b, STOP_ID, PAD_ID, PAD_ID, PAD_ID]
    # cut to max_len: no stop token, no padding
    assert inputs[1][0] == START_ID and (targets[1] != PAD_ID).all()
    assert vocab.decode(targets[1]) == "aab #t"
    np.testing.assert_array_equal(inputs != PAD_ID, targets != PAD_ID)


def test_vocabulary_round_trips_through_json():
    vocab = build_vocabulary(CAPTIONS, min_char_count=1, max_len=10)
    data = json.loads(json.dumps(vocab.to_dict(), ensure_ascii=False))
    assert CaptionVocabulary.from_dict(data) == vocab
    assert data["special_tokens"] == {"<pad>": 0, "<start>": 1, "<stop>": 2, "<unk>": 3}
