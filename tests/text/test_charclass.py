"""Regex character classes from sets of characters: written as ranges, astral characters in a
class of their own, matching exactly the characters given."""

import re

from hypothesis import given
from hypothesis import strategies as st

from insta_kedro.text.charclass import character_class, one_of

# Characters that mean something inside a class, and neighbours of every kind to probe with.
SPECIALS = set("-]^\\[")
ASTRAL = {"😀", "😁", "😂", "🦄", "\U0010ffff"}
PROBES = [chr(c) for c in range(0x180)] + [
    "\ufe0f",
    "\u200d",
    "\uffff",
    "\U00010000",
    "😀",
    "😁",
    "😂",
    "😃",
    "🦄",
    "🦅",
    "\U0010fffe",
    "\U0010ffff",
]


def matched(pattern: str, probes=PROBES) -> set[str]:
    compiled = re.compile(pattern)
    return {c for c in probes if compiled.fullmatch(c)}


def test_consecutive_characters_are_written_as_one_range():
    assert character_class(set("abcxyz")) == "a-cx-z"
    assert character_class(set("cab")) == "a-c"  # the order of the set does not matter


def test_a_lone_character_is_a_range_of_one():
    assert character_class({"q"}) == "q-q"
    assert character_class({"a", "c"}) == "a-ac-c"


def test_characters_special_inside_a_class_are_matched_literally():
    characters = SPECIALS | {"a"}
    assert matched(f"[{character_class(characters)}]") == characters


@given(st.sets(st.characters(), min_size=1, max_size=20))
def test_the_class_matches_exactly_the_characters_given(characters):
    pattern = f"[{character_class(characters)}]"
    assert matched(pattern, PROBES + sorted(characters)) == characters


def test_without_astral_characters_one_of_is_a_plain_class():
    assert one_of(set("abc-")) == r"[\--\-a-c]"
    assert matched(one_of(set("abc-"))) == set("abc-")


def test_one_of_puts_astral_characters_in_a_class_of_their_own():
    characters = set("aé") | ASTRAL
    pattern = one_of(characters)
    assert pattern.startswith("(?=[a-\U0010ffff])")  # skips everything below "a" at once
    assert "[😀-😂🦄-🦄\U0010ffff-\U0010ffff]" in pattern
    assert matched(pattern) == characters


def test_one_of_finds_every_emoji_of_a_text():
    pattern = re.compile(one_of({"❤", "😂", "👍"}))
    assert pattern.findall("love ❤ it 😂😂 ok 👍🏽 no 😃") == ["❤", "😂", "😂", "👍"]


def test_one_of_astral_characters_alone_is_their_class():
    assert one_of({"😀", "😁"}) == "[😀-😁]"
    assert re.compile(one_of({"😀", "😁"})).findall("a😀b😁c😂") == ["😀", "😁"]


@given(
    st.sets(st.characters(max_codepoint=0xFFFF), max_size=10),
    st.sets(st.characters(min_codepoint=0x10000), max_size=10),
)
def test_one_of_matches_exactly_the_characters_given(bmp, astral):
    characters = bmp | astral
    if not characters:
        return
    assert matched(one_of(characters), PROBES + sorted(characters)) == characters
