"""Hashtags and @-mentions in captions: one definition for the parser and the text features.

A hashtag is '#' followed by letters, digits, '_' and combining marks of any script
(`#café`, `#日本`), ended by punctuation, spaces or emoji; tags made only of digits are not
hashtags (Instagram does not link them). A mention is '@' followed by the characters of an
Instagram user name (ASCII letters, digits, '.', '_'), not preceded by a word character (so
e-mail addresses are not mentions).
"""

import re
import unicodedata

from insta_kedro.text.charclass import character_class

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]+)")


def _combining_marks() -> str:
    """Every combining mark (Unicode categories Mn, Mc, Me) as ranges of a regex class."""
    return character_class(
        {
            chr(code)
            for code in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0))
            if unicodedata.category(chr(code)).startswith("M")
        }
    )


# Combining marks (Devanagari and Thai vowel signs, a decomposed accent) are not in ``\w``, yet
# belong to the word they follow. No character outside the ranges scanned is a mark.
COMBINING_MARKS = _combining_marks()
# '#', a character that starts a tag (``\w``: '_' or ``str.isalnum``), then those that continue
# it (also ZWNJ, ZWJ and combining marks): the spans :func:`_tag_spans` reads.
TAG = re.compile(rf"#\w[\w\u200c\u200d{COMBINING_MARKS}]*")


def extract_hashtags(text: str, *, unique: bool = True) -> list[str]:
    """Hashtags of `text`, lower-case, without '#', in order of appearance; de-duplicated
    unless ``unique`` is false (then every use counts, as in a hashtag count).

    Unicode-aware: letters, digits, '_' and combining marks of any script belong to a tag
    (`#café`, `#日本`, `#हिन्दी`); punctuation, spaces and emoji end it. Tags made only of
    digits (`#1`) are left out, as Instagram does not link them.
    """
    text = unicodedata.normalize("NFC", text)
    tags: list[str] = []
    for start, end in _tag_spans(text):
        tag = text[start + 1 : end].rstrip("\u200c\u200d").lower()
        if not tag.isdigit() and not (unique and tag in tags):
            tags.append(tag)
    return tags


def _tag_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every '#' followed by a tag, digit-only tags included."""
    if "#" not in text:
        return []
    return [match.span() for match in TAG.finditer(text)]


def extract_mentions(text: str, *, unique: bool = True) -> list[str]:
    """@-mentions of `text` (`@user.name_1` → `user.name_1`), lower-case, trailing dots
    stripped, in order of appearance, de-duplicated unless ``unique`` is false. E-mail
    addresses are not mentions."""
    mentions: list[str] = []
    for match in MENTION.finditer(unicodedata.normalize("NFC", text)):
        name = match.group(1).rstrip(".").lower()
        if name and not (unique and name in mentions):
            mentions.append(name)
    return mentions


def strip_tags(text: str) -> str:
    """``text`` with its hashtags (as ``extract_hashtags`` reads them, combining marks and
    digit-only tags included) and mentions replaced by spaces."""
    parts, last = [], 0
    for start, end in _tag_spans(text):
        parts += [text[last:start], " "]
        last = end
    text = "".join([*parts, text[last:]]) if last else text
    return MENTION.sub(" ", text) if "@" in text else text
