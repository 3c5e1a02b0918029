"""Hashtags and @-mentions in captions: one definition for the parser and the text features.

A hashtag is '#' followed by letters, digits, '_' and combining marks of any script
(`#café`, `#日本`), ended by punctuation, spaces or emoji (a keycap such as 1️⃣ too); tags made
only of digits are not hashtags (Instagram does not link them). A mention is '@' followed by
the characters of an Instagram user name (ASCII letters, digits, '.', '_'), not preceded by a
word character (so e-mail addresses are not mentions), a hashtag aside (`#ootd@zara`). A '#'
or '@' in a web address with a path or a scheme (`example.com/page#section`,
`https://medium.com/@author`) is the address's (``text.web``); an account or tag that ends
like an address (`@shop.tv`) stays one. Both are read in plain letters: a tag or name in a
styled alphabet (`#𝐒𝐮𝐧𝐝𝐚𝐲`, `@ｍａｙａ`) is the plain one (``text.styled``).
"""

import re
import unicodedata

from insta_kedro.text.charclass import character_class
from insta_kedro.text.styled import unstyled
from insta_kedro.text.web import without_links

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]+)")
# A possessive "'s" (or "’s") ending a tag or mention: no word of its own.
_POSSESSIVE = re.compile(r"['’]s\b")
_MENTION_SPAN = re.compile(rf"{MENTION.pattern}(?:{_POSSESSIVE.pattern})?")


def _combining_marks() -> set[str]:
    """Every combining mark (Unicode categories Mn, Mc, Me)."""
    return {
        chr(code)
        for code in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0))
        if unicodedata.category(chr(code)).startswith("M")
    }


# Combining marks (Devanagari and Thai vowel signs, a decomposed accent) are not in ``\w``, yet
# belong to the word they follow. No character outside the ranges scanned is a mark.
_MARKS = _combining_marks()
COMBINING_MARKS = character_class(_MARKS)
# The zero-width non-joiner and joiner: inside a word they choose how its letters are drawn
# (Persian "می‌خوام", "کتاب‌ها"; Sinhala "ශ්‍රී"), as Unicode's word boundaries read them (UAX #29:
# no break), and they never end a word or a tag.
JOINERS = "\u200c\u200d"
# The marks that make the character before them an emoji: the text and emoji presentation
# selectors and the keycap (1️⃣ is 1, U+FE0F, U+20E3). They end a tag, as emoji do.
_EMOJI_MARKS = {"\ufe0e", "\ufe0f", "\u20e3"}
# '#', a character that starts a tag (``\w``: '_' or ``str.isalnum``), then those that continue
# it (also ZWNJ, ZWJ and combining marks): the spans :func:`_tag_spans` reads.
TAG = re.compile(rf"#\w[\w{JOINERS}{character_class(_MARKS - _EMOJI_MARKS)}]*")


def extract_hashtags(text: str, *, unique: bool = True) -> list[str]:
    """Hashtags of `text`, lower-case, without '#', in order of appearance; de-duplicated
    unless ``unique`` is false (then every use counts, as in a hashtag count).

    Unicode-aware: letters, digits, '_' and combining marks of any script belong to a tag
    (`#café`, `#日本`, `#हिन्दी`); punctuation, spaces and emoji end it. Tags made only of
    digits (`#1`) are left out, as Instagram does not link them.
    """
    text = without_links(unicodedata.normalize("NFC", unstyled(text)))
    tags: list[str] = []
    for start, end in _tag_spans(text):
        tag = text[start + 1 : end].rstrip(JOINERS).lower()
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
    addresses are not mentions; an account right after a hashtag (`#ootd@zara`) is."""
    mentions: list[str] = []
    if "@" not in text:
        return mentions
    text = _without_hashtags(without_links(unicodedata.normalize("NFC", unstyled(text))))
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(".").lower()
        if name and not (unique and name in mentions):
            mentions.append(name)
    return mentions


def _without_hashtags(text: str) -> str:
    """``text`` with its hashtags (digit-only tags included) and the possessive "'s" right
    after one (`#NYC's`) replaced by spaces."""
    parts, last = [], 0
    for start, end in _tag_spans(text):
        parts += [text[last:start], " "]
        last = end + (len(found.group()) if (found := _POSSESSIVE.match(text, end)) else 0)
    return "".join([*parts, text[last:]]) if last else text


def strip_tags(text: str) -> str:
    """``text`` with its hashtags (as ``extract_hashtags`` reads them, combining marks and
    digit-only tags included) and mentions replaced by spaces, with the possessive "'s" of
    one (`@nike's`)."""
    text = _without_hashtags(text)
    return _MENTION_SPAN.sub(" ", text) if "@" in text else text
