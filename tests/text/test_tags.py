"""Hashtags and mentions: one definition for the parser and the text features."""

import pytest

from insta_kedro.text.tags import extract_hashtags, extract_mentions, strip_tags


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Coffee at #café!", ["café"]),
        ("Trip #日本 #旅行。", ["日本", "旅行"]),
        ("decomposed #cafe\u0301 tag", ["café"]),
        ("#हिन्दी दिवस", ["हिन्दी"]),
        ("#love❤️ #sun☀️#fun, #Summer2021 #summer2021", ["love", "sun", "fun", "summer2021"]),
        ("#tag😀more and #under_score.", ["tag", "under_score"]),
        ("we're #1 and # alone and ##double", ["double"]),
        ("no tags", []),
    ],
)
def test_extract_hashtags(caption: str, expected: list[str]) -> None:
    assert extract_hashtags(caption) == expected


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("thanks @User.Name_1.", ["user.name_1"]),
        ("(@anna.cooks) & @Bob!! @anna.cooks", ["anna.cooks", "bob"]),
        ("mail me@example.com or @ alone", []),
        ("📸 @kylie🤍 @a..", ["kylie", "a"]),
    ],
)
def test_extract_mentions(caption: str, expected: list[str]) -> None:
    assert extract_mentions(caption) == expected


def test_strip_tags_leaves_the_words():
    assert strip_tags("sunday #café run with @maya.eats!").split() == ["sunday", "run", "with", "!"]


@pytest.mark.parametrize(
    ("caption", "words"),
    [
        ("#हिन्दी दिवस", ["दिवस"]),
        ("love #สวัสดี today", ["love", "today"]),
        ("decomposed #cafe\u0301 tag", ["decomposed", "tag"]),
        ("#1 and #tag😀more", ["and", "😀more"]),
    ],
)
def test_strip_tags_removes_the_whole_tag_that_extract_hashtags_reads(caption, words):
    # a combining mark (Devanagari, Thai vowel signs, a decomposed accent) belongs to the tag
    assert strip_tags(caption).split() == words


def test_every_use_counts_when_not_unique():
    caption = "#music #Music @ben @ben #1"
    assert extract_hashtags(caption, unique=False) == ["music", "music"]
    assert extract_mentions(caption, unique=False) == ["ben", "ben"]
