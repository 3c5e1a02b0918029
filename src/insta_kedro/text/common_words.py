"""The words of a caption that say nothing of what it is about, in the caption's own language.

Instagram users write in many languages: a Spanish caption's "de", "que" and "para", a German
one's "und", "der" and "mit", an Indonesian one's "yang" and "di" are as empty as "the" and
"with", and as frequent. A language's commonest words are these words: its articles,
pronouns, prepositions and auxiliaries, and generic ones such as "new", "time" and "people".
They come from wordfreq's frequency list of the language (the language detector's answer
for the caption), English's always with them: captions in other languages mix English
words in. A word of Arabic or Hebrew script is read as wordfreq reads it (:func:`folded`),
without its vowel marks and the Arabic tatweel: "فِي" is "في", "جمـــيل" is "جميل"; a Hebrew
gershayim or geresh is the ASCII quote: "צה״ל" is "צה\"ל".
"""

import re
from functools import cache, lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# How many of a language's commonest words (wordfreq) are stop words.
COMMON_WORDS = 100
# wordfreq's code of a language the language detector names otherwise.
_WORDFREQ_CODES = {"no": "nb", "tl": "fil"}
# Japanese writes its particles and verb endings in hiragana: a word of one or two hiragana
# alone is one of them (は, を, した, って, から), its content words are in kanji or katakana
# (散歩, ラーメン) or longer (ごはん, ふわふわ).
SHORT_HIRAGANA = re.compile(r"[\u3041-\u309f]{1,2}")
# The scripts whose words wordfreq reads without their combining marks (vowel signs, shadda,
# niqqud) and the Arabic tatweel: those of the languages its ``remove_marks`` is set for.
# Unicode's blocks of Hebrew and Arabic (with their supplements and presentation forms),
# which ``re`` tests as ranges, faster than ``regex``'s script properties.
_ABJAD = re.compile(
    "[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
)


@cache
def stop_words(language: str = "en") -> frozenset[str]:
    """The lower-case words of captions in ``language`` that say nothing of what they are
    about.

    Takes a language code as the language detector gives it (``"und"`` when it could not
    tell). Returns scikit-learn's English stop words and the :data:`COMMON_WORDS` commonest
    words of English and, when wordfreq knows it, of ``language``.
    """
    from wordfreq import top_n_list

    words = set(ENGLISH_STOP_WORDS) | set(top_n_list("en", COMMON_WORDS, wordlist="small"))
    code = other_wordfreq_language(language)
    if code is not None:
        words |= set(top_n_list(code, COMMON_WORDS, wordlist="small"))
    return frozenset(words)


@cache
def other_wordfreq_language(language: str) -> str | None:
    """wordfreq's code of ``language`` (a code as the language detector gives it) when it is
    not English and wordfreq's small lists have it; None otherwise (English, ``und``, a
    language wordfreq does not know)."""
    from wordfreq import available_languages

    code = _WORDFREQ_CODES.get(language, language)
    return code if code != "en" and code in available_languages(wordlist="small") else None


# Hebrew's gershayim and geresh (and a typographic apostrophe) inside a word, as the ASCII
# quotes most Hebrew captions type there, as in wordfreq's list: צה״ל is צה"ל.
_HEBREW_QUOTES = str.maketrans({"\u05f4": '"', "\u05f3": "'", "\u2019": "'"})


@lru_cache(maxsize=1 << 16)
def folded(word: str) -> str:
    """``word`` as wordfreq reads it when it is written in Arabic or Hebrew script: without
    its combining marks and the Arabic tatweel (``wordfreq.preprocess.remove_marks``), so that
    "فِي" is the stop word "في" and "جمـــيل", "جميل", and with a Hebrew gershayim or geresh
    as the ASCII quote (צה״ל is צה"ל); any other word as it is. Cached: captions repeat their
    words."""
    if not has_abjad(word):
        return word
    from wordfreq.preprocess import remove_marks

    return remove_marks(word).translate(_HEBREW_QUOTES)


def has_abjad(text: str) -> bool:
    """Whether ``text`` holds a letter of Arabic or Hebrew script (whose words
    :func:`folded` reads without their marks)."""
    return not text.isascii() and _ABJAD.search(text) is not None


def is_stop_word(word: str, stop: frozenset[str]) -> bool:
    """Whether the lower-case ``word`` is one of ``stop`` (:func:`stop_words`) or a Japanese
    particle or ending (one or two hiragana alone)."""
    return word in stop or (not word.isascii() and SHORT_HIRAGANA.fullmatch(word) is not None)
