"""Small synthetic posts and image features, and tiny caption model settings, for the
captioning tests and the caption_model pipeline tests."""

import numpy as np
import pandas as pd
import pytest

WORDS = ["sunday", "morning", "love", "family", "gym", "time", "❤️", "😂", "👍🏽"]
TAGS = ["#blessed", "#workout", "@kylie", "@therock"]


def synthetic_posts(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    captions = [
        " ".join(rng.choice(WORDS, size=rng.integers(2, 6))) + " " + rng.choice(TAGS)
        for _ in range(n)
    ]
    captions[0] = ""  # a post without caption
    return pd.DataFrame(
        {
            "post_id": [f"P{i:03d}" for i in range(n)],
            "profile": ["kyliejenner" if i % 2 else "therock" for i in range(n)],
            "caption": captions,
            "has_caption": [bool(c) for c in captions],
        }
    )


def synthetic_features(posts: pd.DataFrame, dim: int = 24, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "image_sha256": [f"{i:064x}" for i in range(len(posts))],
            "feature": [rng.normal(size=dim).astype(np.float32) for _ in range(len(posts))],
            "encoder": "vgg16-fc2-random",
            "error": None,
        }
    )


TINY_PARAMS = {
    "architecture": "merge",
    "min_char_count": 3,
    "max_len": 40,
    "image_weight": 0.5,
    "embedding_dim": 8,
    "lstm_units": 16,
    "hidden_units": 16,
    "dropout": 0.0,
    "learning_rate": 0.01,
    "epochs": 2,
    "batch_size": 16,
    "early_stopping_patience": 2,
    "seed": 1,
    "verbose": 0,
    "min_training_captions": 20,
    "split": {"val_fraction": 0.15, "test_fraction": 0.2},
    "checkpoint_dir": "checkpoint",
    "decoder": "greedy",
    "beam_width": 2,
    "temperature": 1.0,
    "top_p": 0.9,
    "no_repeat_ngram_size": 6,
    "decode_batch_size": 16,
    "ngram_order": 5,
    "shuffled_image_repeats": 1,
    "real_word_list_size": 20000,
    "samples_in_table": 5,
}


@pytest.fixture
def posts() -> pd.DataFrame:
    return synthetic_posts()


@pytest.fixture
def image_features(posts) -> pd.DataFrame:
    return synthetic_features(posts)


@pytest.fixture
def tiny_params(tmp_path) -> dict:
    return {**TINY_PARAMS, "checkpoint_dir": str(tmp_path / "checkpoint")}
