"""Hashtags and mentions: one definition for the parser and the text features."""

import random
import sys
import unicodedata

import pytest

from insta_kedro.text.tags import TAG, _tag_spans, extract_hashtags, extract_mentions, strip_tags


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
        ("Top #1️⃣ of #2️⃣0️⃣2️⃣5️⃣, #day1️⃣ #day1", ["day1"]),  # a keycap ends a tag
        ("#𝐒𝐮𝐧𝐝𝐚𝐲𝐅𝐮𝐧𝐝𝐚𝐲 ＃ｌｏｖｅ", ["sundayfunday", "love"]),  # styled letters are plain
        # a '#' in a web address is the address's
        ("see https://example.com/page#section #real", ["real"]),
        ("#sale at shop.example.com/deals#top, www.x.co/#/app", ["sale"]),
        ("#style.co/ and #rock.com", ["style", "rock"]),  # a tag that ends like an address
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
        ("new fit #ootd@zara", ["zara"]),  # an account right after a hashtag
        ("by @𝐦𝐚𝐲𝐚.𝐞𝐚𝐭𝐬 and @ｂｏｂ", ["maya.eats", "bob"]),
        # an '@' in a web address is the address's: not an Instagram account
        ("read https://medium.com/@author/post by @friend", ["friend"]),
        ("tiktok.com/@dancer and www.YouTube.com/@chan", []),
        # accounts whose names end like web addresses are accounts
        ("live on @shop.tv, @name.co and @shop.tv/", ["shop.tv", "name.co"]),
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
        ("love @nike's new drop, #NYC’s best", ["love", "new", "drop,", "best"]),
        ("new fit #ootd@zara today", ["new", "fit", "today"]),
    ],
)
def test_strip_tags_removes_the_whole_tag_that_extract_hashtags_reads(caption, words):
    # a combining mark (Devanagari, Thai vowel signs, a decomposed accent) belongs to the tag
    assert strip_tags(caption).split() == words


def test_every_use_counts_when_not_unique():
    caption = "#music #Music @ben @ben #1"
    assert extract_hashtags(caption, unique=False) == ["music", "music"]
    assert extract_mentions(caption, unique=False) == ["ben", "ben"]


def _tag_spans_by_characters(text: str) -> list[tuple[int, int]]:
    """The character-by-character reading the TAG regex replaced (its reference)."""
    spans, position = [], text.find("#")
    while position != -1:
        end = position + 1
        if end < len(text) and (text[end] == "_" or text[end].isalnum()):
            while end < len(text) and (
                text[end] == "_"
                or text[end].isalnum()
                or text[end] in "\u200c\u200d"
                or (
                    unicodedata.category(text[end]).startswith("M")
                    and text[end] not in "\ufe0e\ufe0f\u20e3"  # these make an emoji
                )
            ):
                end += 1
            spans.append((position, end))
        position = text.find("#", end)
    return spans


def test_tag_regex_reads_the_same_spans_as_a_character_loop():
    rng = random.Random(0)
    alphabet = ["#", "#", "_", "a", "Z", "7", "é", "e\u0301", "\u0301", "\u200c", "\u200d", " "]
    alphabet += ["日", "ह", "ि", "्", "ส", "ั", "🔥", "٣", "²", ".", "@", "\ufe0f", "\U000e0100"]
    alphabet += ["\u20e3", "\ufe0e"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _tag_spans(text) == _tag_spans_by_characters(text), repr(text)


def test_no_combining_mark_lies_outside_the_scanned_ranges():
    marks = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "M"]
    assert all(0x300 <= c < 0x20000 or 0xE0100 <= c < 0xE01F0 for c in marks)
    emoji_marks = {0xFE0E, 0xFE0F, 0x20E3}  # presentation selectors and the keycap end a tag
    assert all(TAG.fullmatch(f"#a{chr(c)}") for c in marks if c not in emoji_marks)
    assert not any(TAG.fullmatch(f"#a{chr(c)}") for c in emoji_marks)
