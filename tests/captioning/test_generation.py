"""The generated_captions table: one caption per post from its own image feature, with every
decoder, in batches; no row, and no Keras, when the model was not trained.

The network is not trained: its weights are set by hand so that an image feature one-hot at
index 0 writes "a" at every step, at index 1 "b", and at index 2 stops at once.
"""

import sys

import numpy as np
import pandas as pd
import pytest

from insta_kedro.captioning.generation import (
    GENERATED_COLUMNS,
    decode_texts,
    generate_caption_table,
)
from insta_kedro.captioning.training_gate import NotTrained
from insta_kedro.captioning.vocabulary import STOP_ID, CaptionVocabulary

VOCAB = CaptionVocabulary(chars=("a", "b"), min_char_count=1, max_len=4)
UNITS = 3  # feature dimension, LSTM and hidden units
DECODING = {
    "temperature": 1.0,
    "top_p": 0.9,
    "beam_width": 2,
    "seed": 0,
    "batch_size": 2,
    "no_repeat_ngram_size": 0,
}


@pytest.fixture(scope="module")
def model():
    """A merge network whose next character is read off the image feature alone."""
    from insta_kedro.captioning.network import build_caption_model  # Keras

    network = build_caption_model(
        "merge", VOCAB.size, UNITS, embedding_dim=2, lstm_units=UNITS, hidden_units=UNITS
    )
    identity = [np.eye(UNITS, dtype="float32"), np.zeros(UNITS, dtype="float32")]
    choice = np.zeros((UNITS, VOCAB.size), dtype="float32")
    choice[0, VOCAB.char_id("a")] = choice[1, VOCAB.char_id("b")] = choice[2, STOP_ID] = 20.0
    for layer in network.layers:
        weights = layer.get_weights()
        if layer.name in ("image_dense", "hidden_dense"):
            layer.set_weights(identity)
        elif layer.name == "char_probs":
            layer.set_weights([choice, np.zeros(VOCAB.size, dtype="float32")])
        elif weights:  # the LSTM (and embedding) silent: the image alone decides
            layer.set_weights([np.zeros_like(w) for w in weights])
    return network


def examples(*hot: int) -> pd.DataFrame:
    """Posts P0, P1, … whose image features are one-hot at ``hot``."""
    return pd.DataFrame(
        {
            "post_id": [f"P{i}" for i in range(len(hot))],
            "feature": list(np.eye(UNITS, dtype=np.float32)[list(hot)]),
        }
    )


@pytest.fixture
def without_keras(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras, TensorFlow and the network module cannot be imported: importing one fails."""
    for name in ("keras", "tensorflow", "insta_kedro.captioning.network"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("decoder", ["greedy", "sample", "beam"])
def test_each_post_gets_the_caption_of_its_own_image_in_order(model, decoder):
    # five posts in batches of two: every batch keeps its posts' order
    table = generate_caption_table(model, examples(0, 1, 2, 1, 0), VOCAB, decoder, **DECODING)
    assert list(table.columns) == list(GENERATED_COLUMNS)
    assert table["post_id"].tolist() == ["P0", "P1", "P2", "P3", "P4"]
    assert table["generated_caption"].tolist() == ["aaaa", "bbbb", "", "bbbb", "aaaa"]
    assert (table["decoder"] == decoder).all()
    assert table["mean_log_prob"].between(-1e-6, 0).all()  # each character all but certain


def test_captions_are_cut_at_the_vocabulary_s_max_len(model):
    texts, _ = decode_texts(model, np.eye(UNITS, dtype="float32")[[0]], VOCAB, "greedy", **DECODING)
    assert texts == ["a" * VOCAB.max_len]


def test_greedy_captions_write_no_character_ngram_twice(model):
    # "aaaa" repeats the 2-gram "aa": with 2-grams blocked, after "aa" the end (as probable
    # as "b", the only other character) comes first
    settings = {**DECODING, "no_repeat_ngram_size": 2}
    table = generate_caption_table(model, examples(0, 1), VOCAB, "greedy", **settings)
    assert table["generated_caption"].tolist() == ["aa", "bb"]


def test_decode_texts_gives_the_texts_and_their_mean_log_probabilities(model):
    images = np.eye(UNITS, dtype="float32")[[1, 2]]
    texts, log_probs = decode_texts(model, images, VOCAB, "beam", **DECODING)
    assert texts == ["bbbb", ""]
    assert len(log_probs) == 2 and all(-1e-6 <= p <= 0 for p in log_probs)


def test_the_table_has_typed_columns(model):
    table = generate_caption_table(model, examples(0), VOCAB, "greedy", **DECODING)
    assert table.dtypes.to_dict() == {
        "post_id": object,
        "generated_caption": object,
        "mean_log_prob": np.float64,
        "decoder": object,
        "image_encoder": object,
    }


def test_each_caption_names_the_encoder_of_the_image_feature_it_was_made_from(model):
    posts = examples(0, 1).assign(image_encoder=["vgg16-fc2-random", "vgg16-fc2-imagenet"])
    table = generate_caption_table(model, posts, VOCAB, "greedy", **DECODING)
    assert table["image_encoder"].tolist() == ["vgg16-fc2-random", "vgg16-fc2-imagenet"]
    unnamed = generate_caption_table(model, examples(0), VOCAB, "greedy", **DECODING)
    assert unnamed["image_encoder"].tolist() == [None]  # examples without the column


def test_a_model_that_was_not_trained_generates_no_row_without_keras(without_keras):
    table = generate_caption_table(
        NotTrained("no photo"), examples(0, 1, 2), VOCAB, "greedy", **DECODING
    )
    assert table.empty and list(table.columns) == list(GENERATED_COLUMNS)
    assert table["mean_log_prob"].dtype == np.float64


def test_no_examples_generate_no_row_without_keras(model, without_keras):
    table = generate_caption_table(model, examples(), VOCAB, "beam", **DECODING)
    assert table.empty and list(table.columns) == list(GENERATED_COLUMNS)
