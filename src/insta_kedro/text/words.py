"""The words of a text, in any script.

Most scripts put spaces between words: there a word is a run of letters with the combining
marks that follow them and the zero-width (non-)joiners within them (:data:`WORD`; "don't",
"O'Keeffe" and Persian "می‌خوام" are one word, digits are none).
Chinese, Japanese, Thai, Lao, Khmer and Burmese are written without spaces: a run of their
letters is a whole phrase or sentence ("今日は友達と渋谷でラーメンを食べました"), which no
lexicon term, topic or description can use. Such a run is split into words by ICU's word
break iterator (Unicode's word boundaries with ICU's dictionaries of these languages), through
`icu4py <https://pypi.org/project/icu4py/>`_, whose wheels carry ICU and its dictionaries:
"今日 は 友達 と 渋谷 で ラーメン を …", "วัน นี้ ไป ทะเล …". Text without these scripts is read
by :data:`WORD` alone, as before. Hebrew writes an acronym with a gershayim (צה"ל, the army;
סופ"ש, the weekend) and a sound foreign to it with a geresh (ג׳ירפה): between Hebrew letters
these are in the word, as Unicode's word boundaries read them (UAX #29), not a break.
"""

import re
from functools import lru_cache

import regex

from insta_kedro.text.tags import COMBINING_MARKS, JOINERS

# Combining marks (tags.COMBINING_MARKS) are not in ``\w``, yet belong to the word they
# follow: दिवस is one word, not द + वस. So do the zero-width (non-)joiners between its letters
# (tags.JOINERS): کتاب‌ها ("books") and ශ්‍රී are one word each.
_LETTERS = rf"[^\W\d_](?:[^\W\d_]+|[{COMBINING_MARKS}]+|[{JOINERS}]+(?=[^\W\d_]))*"
# A gershayim or geresh, ASCII (", ') or Hebrew (״ U+05F4, ׳ U+05F3), between Hebrew letters:
# in the word (UAX #29's rules WB7b-c; U+05F4 is MidLetter, U+05F3 a letter).
HEBREW_QUOTE = "(?<=[\u0590-\u05ff])[\"'’\u05f3\u05f4](?=[\u05d0-\u05ea])"
WORD = re.compile(rf"{_LETTERS}(?:(?:['’]|{HEBREW_QUOTE}){_LETTERS})?")
LETTER = re.compile(r"[^\W\d_]")
# A character of a script written without spaces between words (its Script_Extensions, so
# that the kana's prolonged sound mark "ー" is one too).
SPACELESS = regex.compile(
    r"[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}"
    r"\p{scx=Myanmar}]"
)


def words_of(text: str) -> list[str]:
    """The words of ``text`` in order: :data:`WORD`'s matches, each one with a script written
    without spaces split into its words (:func:`segmented`)."""
    found = WORD.findall(text)
    if not is_spaceless(text):
        return found
    return [word for match in found for word in segmented(match)]


@lru_cache(maxsize=1 << 14)
def segmented(run: str) -> tuple[str, ...]:
    """The words of ``run`` (a word of :data:`WORD`, or any text) by ICU's word break
    iterator, keeping the pieces that hold a letter; ``(run,)`` when it has no character of
    a script written without spaces. Cached: captions repeat their phrases."""
    if not is_spaceless(run):
        return (run,)
    from icu4py.breakers import WordBreaker

    # The root locale: ICU picks the dictionary of each run by its script.
    return tuple(piece for piece in WordBreaker(run, "und") if LETTER.search(piece))


# Hangul: its jamo and its syllable blocks (each one a syllable of two or three letters).
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff]")


def is_compact(text: str) -> bool:
    """Whether ``text`` holds a character of a script whose words are short in characters:
    one written without spaces (:func:`is_spaceless`) or Korean's Hangul, whose characters
    are syllables (카페, "café", is two; 맛집, "good restaurant", two)."""
    return not text.isascii() and (_HANGUL.search(text) is not None or is_spaceless(text))


def is_spaceless(text: str) -> bool:
    """Whether ``text`` holds a character of a script written without spaces (Han, kana,
    Thai, Lao, Khmer, Burmese)."""
    return not text.isascii() and SPACELESS.search(text) is not None
