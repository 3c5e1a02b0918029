"""Examples of the caption model: the seeded split, the join of posts to image features with
every post left out counted, and the training-only vocabulary."""

import numpy as np
import pandas as pd

from insta_kedro.captioning.examples import (
    assign_splits,
    encoder_weights,
    prepare_examples,
    training_vocabulary,
)
from insta_kedro.captioning.vocabulary import UNK_ID


def _prepare(posts, image_features, params):
    return prepare_examples(
        posts,
        image_features,
        val_fraction=params["split"]["val_fraction"],
        test_fraction=params["split"]["test_fraction"],
        seed=params["seed"],
    )


def test_split_is_seeded_deterministic_and_by_post():
    ids = [f"p{i}" for i in range(100)]
    split = assign_splits(ids, 0.1, 0.2, seed=3)
    assert split == assign_splits(list(reversed(ids)), 0.1, 0.2, seed=3)
    assert split != assign_splits(ids, 0.1, 0.2, seed=4)
    counts = pd.Series(split).value_counts()
    assert (counts["test"], counts["val"], counts["train"]) == (20, 10, 70)
    assert assign_splits(ids[:3], 0.1, 0.1, seed=0).values() != {"train"}


def test_prepare_counts_every_post_left_out(posts, image_features, tiny_params):
    features = image_features.copy()
    features.loc[1, ["feature", "error"]] = [None, "unreadable image"]
    features.at[2, "feature"] = np.zeros(5, np.float32)
    features = pd.concat([features.drop(index=3), features.iloc[[4]]], ignore_index=True)
    examples, report = _prepare(posts, features, tiny_params)
    assert report["skipped"] == {
        "duplicate_feature_row": 1,
        "no_image_feature": 1,
        "image_feature_error": 1,
        "feature_dim_mismatch": 1,
        "feature_without_post": 0,
    }
    assert len(examples) == len(posts) - 3
    assert examples.loc[examples["post_id"] == "P000", "split"].item() == "uncaptioned"
    assert sum(report["split_sizes"].values()) == len(examples)
    assert report["encoder_weights"] == "random"
    assert report["data_fingerprint"]["n_posts"] == str(len(examples))
    assert (examples["image_encoder"] == "vgg16-fc2-random").all()  # for generated_captions


def test_vocabulary_never_sees_test_captions(posts, image_features, tiny_params):
    posts = posts.copy()
    examples, _ = _prepare(posts, image_features, tiny_params)
    test_ids = examples.loc[examples["split"] == "test", "post_id"]
    posts.loc[posts["post_id"].isin(test_ids), "caption"] = "zzzzzzzzzzzz"
    examples, _ = _prepare(posts, image_features, tiny_params)
    vocab = training_vocabulary(examples, tiny_params["min_char_count"], tiny_params["max_len"])
    assert "z" not in vocab.chars and vocab.char_id("z") == UNK_ID


def test_encoder_weights():
    assert encoder_weights("vgg16-fc2-imagenet") == "imagenet"
    assert encoder_weights("vgg16-pool-random") == "random"
    assert encoder_weights("clip") == "other"
