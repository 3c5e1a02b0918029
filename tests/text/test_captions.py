"""Per-caption features: counts, emojis, language, sentiment, and bad input."""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import numpy as np
import pandas as pd
import pytest

from insta_kedro.text.captions import (
    NUMERIC_FEATURES,
    TextStats,
    caption_features,
    detect_language,
    emojis_in,
    sentiment,
)

BAD_CAPTIONS = {
    "empty": "",
    "whitespace": "  \n\t ",
    "emoji_only": "🤍🤍✨🏋️‍♀️👍🏽",
    "hashtag_only": "#fitfam #legday #gymlife",
    "mention_only": "@kyliecosmetics @kylieskin",
    "german": "Heute waren wir in den Bergen wandern und das Wetter war einfach wunderbar.",
    "japanese": "今日は友達と一緒に美味しいラーメンを食べに行きました。",
    "arabic": "ذهبنا اليوم إلى الشاطئ وكان الطقس جميلا جدا",
    "very_long": "so happy with this new collection " * 3000 + "#launch " * 500,
    "digits_and_punctuation": "1234 !!! ??? ... 42",
}


def test_counts_of_hashtags_mentions_and_emojis():
    text = "Leg day done 💪🏽🔥 with @liftwithleo and @fit.priya! #legday #GymLife email@x.com"
    assert emojis_in(text) == ["💪🏽", "🔥"]
    row = caption_features(pd.Series([text])).iloc[0]
    assert row["hashtag_count"] == 2
    assert row["mention_count"] == 2
    assert row["emoji_count"] == 2
    assert row["length"] == len(text)


def test_a_hashtag_with_combining_marks_is_no_word():
    rows = caption_features(pd.Series(["love #สวัสดี today", "#हिन्दी दिवस"]))
    assert rows["word_count"].tolist() == [2, 1]
    assert rows["hashtag_count"].tolist() == [1, 1]


def test_a_zwj_sequence_is_one_emoji():
    assert emojis_in("🏋️‍♀️") == ["🏋️‍♀️"]
    assert caption_features(pd.Series(["👨‍👩‍👧"])).iloc[0]["emoji_count"] == 1


def test_language_of_clear_and_ambiguous_text():
    assert detect_language("This is the best pasta I have ever made at home, no shortcuts") == "en"
    assert detect_language(BAD_CAPTIONS["german"]) == "de"
    assert detect_language(BAD_CAPTIONS["japanese"], min_letters=5) == "ja"
    stats = TextStats()
    assert detect_language("me again", stats=stats) == "und"
    assert detect_language("#fitfam #legday @leo 💪 https://example.com", stats=stats) == "und"
    assert stats.language_undetermined == {"too_few_letters": 2}


def test_language_is_deterministic():
    text = "sun, sea and a good book: the perfect lazy weekend by the water"
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_sentiment_sign_and_english_only():
    assert sentiment("I love this, what a wonderful happy day!", "en") > 0.5
    assert sentiment("This is awful, I hate it, terrible day.", "en") < -0.5
    assert sentiment("🤍😍", "und") > 0  # VADER reads emojis
    assert sentiment(BAD_CAPTIONS["german"], "de") == 0.0


@pytest.mark.parametrize("name", sorted(BAD_CAPTIONS))
def test_every_feature_is_defined_for_bad_input(name):
    features = caption_features(pd.Series([BAD_CAPTIONS[name]]))
    values = features[list(NUMERIC_FEATURES)].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert features.iloc[0]["language"]


def test_missing_and_non_string_captions_read_as_empty():
    stats = TextStats()
    features = caption_features(
        pd.Series([None, np.nan, "", "hello world, lovely day"]), stats=stats
    )
    assert features["length"].tolist()[:3] == [0, 0, 0]
    assert (features.iloc[:3][list(NUMERIC_FEATURES)] == 0).all().all()
    assert stats.empty == 3
    assert stats.captions == 4


def test_empty_series_has_the_columns():
    features = caption_features(pd.Series([], dtype=object))
    assert list(features.columns) == [*NUMERIC_FEATURES, "language"]
    assert features.empty


def test_very_long_caption_is_read_up_to_max_chars_and_counted():
    stats = TextStats()
    features = caption_features(pd.Series([BAD_CAPTIONS["very_long"]]), stats=stats)
    assert features.iloc[0]["hashtag_count"] == 500
    assert features.iloc[0]["language"] == "en"
    assert features.iloc[0]["sentiment"] > 0
    assert stats.longer_than_max_chars == 1


def _run(script: str, terminal: bool) -> str:
    """Output (stdout and stderr) of ``script`` in a new Python, in a pseudo-terminal or a pipe."""
    command = [sys.executable, "-c", script]
    if not terminal:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    controller, terminal_end = pty.openpty()
    # A terminal 100 columns wide (a new pseudo-terminal has none, and a bar then fits none).
    fcntl.ioctl(terminal_end, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(command, stdout=terminal_end, stderr=terminal_end)
    os.close(terminal_end)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(controller)
    return output.decode(errors="replace")


def test_a_progress_bar_shows_in_a_terminal_and_not_in_a_pipe():
    script = (
        "import pandas as pd\n"
        "from insta_kedro.text.captions import caption_features\n"
        "caption_features(pd.Series(['a caption about the sea'] * 40), progress='reading')\n"
    )
    assert "reading: 100%" in _run(script, terminal=True)
    assert "reading" not in _run(script, terminal=False)
