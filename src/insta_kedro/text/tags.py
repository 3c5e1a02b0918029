"""Hashtags and @-mentions in captions: one definition for the parser and the text features.

A hashtag is '#' followed by letters, digits, '_' and combining marks of any script
(`#café`, `#日本`), ended by punctuation, spaces or emoji; tags made only of digits are not
hashtags (Instagram does not link them). A mention is '@' followed by the characters of an
Instagram user name (ASCII letters, digits, '.', '_'), not preceded by a word character (so
e-mail addresses are not mentions).
"""

import re
import unicodedata

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]+)")


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
    spans = []
    position = text.find("#")
    while position != -1:
        end = position + 1
        if end < len(text) and _starts_tag(text[end]):
            while end < len(text) and _continues_tag(text[end]):
                end += 1
            spans.append((position, end))
        position = text.find("#", end)
    return spans


def _starts_tag(char: str) -> bool:
    return char == "_" or char.isalnum()


def _continues_tag(char: str) -> bool:
    return (
        char == "_"
        or char.isalnum()
        or char in "\u200c\u200d"
        or unicodedata.category(char).startswith("M")
    )


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
    return MENTION.sub(" ", "".join([*parts, text[last:]]))
