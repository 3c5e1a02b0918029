"""The windowed VADER analyzer gives vaderSentiment's own scores, value for value."""

import random

import pytest
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from insta_kedro.ingestion import parse_download_folder
from insta_kedro.text.vader import WindowedSentimentAnalyzer

CRAFTED = [
    "",
    "   ",
    "I love this",
    "I do not love this",
    "I don't love this at all!!!",
    "never so happy, never this sad",
    "without doubt the best day",
    "it was kind of good but the ending was terrible",
    "The food was GREAT but the service was SLOW",
    "ALL CAPS HAPPY TEXT",
    "no good no bad no way",
    "no problem, no or nor love",
    "at least it was fun; very least fun; least fun",
    "that show was the bomb, yeah right",
    "this cake is to die for, the shit",
    "sort of nice, kinda sad, kind of amazing",
    "😍",
    "😍😍😍",
    "great😍day 🎉 party!🎉🎉",
    "🎉 starts with an emoji",
    "👍🏽 skin tone and 🏋️‍♀️ zero width joiner, ©2019 ™",
    "Happy birthday 🎂🎉 love you ❤️ #bff @friend",
    ":) :( :D <3 lol lmao",
    "wasn't bad, isn't good, ain't great",
    "extremely good, barely good, hardly bad at all",
    "?? good??? bad!!!!! ok?",
]
WORDS = [
    "good", "bad", "love", "hate", "happy", "sad", "great", "terrible", "ok", "fun", "the",
    "a", "day", "food", "show", "friend", "but", "BUT", "GOOD", "LOVE", "Happy", "so", "this",
    "at", "very", "kind", "of", "least", "doubt", "without", "never", "no", "or", "nor",
    "lol", ":)", ":(", "<3", "!", "?", "...", "😍", "🎉", "😂", "💔", "❤️", "#love", "@x",
]  # fmt: skip
VOCABULARY = [*WORDS, *NEGATE, *BOOSTER_DICT, *SPECIAL_CASES]


@pytest.fixture(scope="module")
def analyzers() -> tuple[SentimentIntensityAnalyzer, WindowedSentimentAnalyzer]:
    return SentimentIntensityAnalyzer(), WindowedSentimentAnalyzer()


def _assert_same_scores(texts, analyzers) -> None:
    original, windowed = analyzers
    for text in texts:
        assert windowed.polarity_scores(text) == original.polarity_scores(text), text


def test_crafted_texts_score_as_vader_scores_them(analyzers):
    _assert_same_scores(CRAFTED, analyzers)


def test_random_texts_of_sentiment_words_negations_boosters_and_emojis(analyzers):
    rng = random.Random(7)
    texts = []
    for _ in range(3000):
        words = rng.choices(VOCABULARY, k=rng.randint(0, 40))
        glue = rng.choice([" ", " ", "", "  "])
        texts.append(glue.join(words))
    _assert_same_scores(texts, analyzers)


def test_real_captions_score_as_vader_scores_them(analyzers, shared_instagram_dl):
    captions = parse_download_folder(shared_instagram_dl).posts["caption"].fillna("").tolist()
    assert captions
    _assert_same_scores(captions, analyzers)


def test_emojis_are_described_with_vaders_spacing(analyzers):
    original, windowed = analyzers
    smiling = original.emojis["😍"]
    assert windowed.describe_emojis("a😍b") == f"a {smiling}b"
    assert windowed.describe_emojis("😍 😍😍") == f"{smiling} {smiling} {smiling}"
    assert windowed.describe_emojis("no emoji here") == "no emoji here"
