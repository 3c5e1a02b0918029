"""Regex character classes built from sets of characters, written so that ``re`` matches them
quickly.

``re`` tests a range of a class at once, but a long list of single characters one by one, and
it looks a character up in a table only when the class holds no astral character (past
U+FFFF). So the characters are written as ranges, and the astral ones go in a class of their
own.
"""

import re


def character_class(characters: set[str]) -> str:
    """The inside of a regex class (``[...]`` without the brackets) matching one of
    ``characters`` (single characters), written as ranges."""
    codes = {ord(character) for character in characters}
    starts = sorted(code for code in codes if code - 1 not in codes)
    ends = sorted(code for code in codes if code + 1 not in codes)
    return "".join(
        f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in zip(starts, ends, strict=True)
    )


def one_of(characters: set[str]) -> str:
    """A regex matching one of ``characters`` (single characters): the astral ones in a class
    of their own, after a first test that skips every character below them all at once."""
    bmp = {character for character in characters if ord(character) < 0x10000}
    astral = characters - bmp
    if not astral:
        return f"[{character_class(bmp)}]"
    if not bmp:
        return f"[{character_class(astral)}]"
    lowest = re.escape(min(characters))
    return (
        f"(?=[{lowest}-\U0010ffff])(?:[{character_class(bmp)}]"
        f"|(?=[\U00010000-\U0010ffff])[{character_class(astral)}])"
    )
