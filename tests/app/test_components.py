"""Pieces the pages share."""

import numpy as np
import pandas as pd

from insta_kedro.app.components import random_encoders, shown, shown_caption


def test_random_weights_are_reported_only_when_an_image_was_encoded():
    feature = np.zeros(4, np.float32)
    encoded = pd.DataFrame(
        {"encoder": ["vgg16-fc2-random", "vgg16-fc2-random"], "feature": [feature, None]}
    ).assign(error=[None, "cannot decode image"])
    assert random_encoders(encoded) == ["vgg16-fc2-random"]
    # a download without photos: every row an error, no image seen by random weights
    assert random_encoders(encoded.assign(error="no usable image")) == []
    assert random_encoders(None) == [] and random_encoders(encoded.iloc[:0]) == []


def test_shown_makes_an_outside_value_safe_for_a_message():
    assert shown("anna.cooks") == "anna.cooks"
    assert shown("a\x00b\n`c`") == "a\\x00b\\n'c'"
    assert shown("x" * 500) == "x" * 80 + "… (500 characters)"


def test_shown_caption_cuts_long_captions():
    assert shown_caption("  short one ", limit=20) == "short one"
    assert shown_caption(None, limit=20) == shown_caption("  ", limit=20) == "(no caption)"
    cut = shown_caption("word " * 100, limit=20)
    assert len(cut) <= 20 and cut.endswith("…")
