"""Per-caption text features: length, hashtags, mentions, emojis, language, sentiment.

Every feature is defined for every string, including ``""``, emoji-only and hashtag-only
captions, non-English text and very long captions: counts are 0, the language is
``"und"`` (undetermined) and the sentiment is 0.0 (neutral) when there is nothing to read.

- Emojis: the ``emoji`` package (Unicode's emoji list, ZWJ sequences and skin tones count
  as one emoji), not a hand-written regex table.
- Language: ``py3langid`` (naive Bayes over byte n-grams, model inside the package, no
  network), limited to the 54 languages langdetect knew (its zh-cn and zh-tw are one ``zh``
  here). It is deterministic: the same caption always gets the same answer. Short captions
  are too ambiguous ("me again" reads as Indonesian), so below ``min_letters`` letters, or
  below ``min_probability`` on py3langid's normalized probability, the language is ``"und"``;
  but a caption with a letter of a script that one language alone writes (Hangul, kana,
  Hebrew, Greek, Thai, ...: :data:`ONE_LANGUAGE_SCRIPT`) is read however short ("맛있다").
  Its model reads a block of captions at once (``text.language``), with py3langid's answers.
- Styled letters: captions written in a "font" of Unicode's styled alphabets (𝐛𝐨𝐥𝐝,
  𝘪𝘵𝘢𝘭𝘪𝘤, 𝓈𝒸𝓇𝒾𝓅𝓉, 𝔣𝔯𝔞𝔨𝔱𝔲𝔯, ｆｕｌｌｗｉｄｔｈ, Ⓒⓘⓡⓒⓛⓔⓓ), as Instagram's font generators write
  them, are read as their plain letters (:func:`unstyled`, Unicode's compatibility mapping):
  else their words would be invisible to every feature below. The caption itself is kept.
- Sentiment: VADER's compound score in [-1, 1], read by ``text.vader``'s analyzer (VADER's
  own rules and scores, in time linear in the caption's length). VADER's lexicon is English
  only: captions detected as another language get 0.0 (counted as ``sentiment_not_english``);
  emojis are part of VADER's lexicon, so emoji-only captions do get a score.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import islice

import numpy as np
import pandas as pd
import regex
from emoji.tokenizer import EmojiMatch, get_search_tree, tokenize
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from tqdm import tqdm

from insta_kedro.text.charclass import character_class, one_of
from insta_kedro.text.language import BatchLanguageIdentifier
from insta_kedro.text.styled import unstyled
from insta_kedro.text.tags import (
    extract_hashtags,
    extract_mentions,
    strip_tags,
)
from insta_kedro.text.vader import WindowedSentimentAnalyzer
from insta_kedro.text.web import URL, without_web_addresses
from insta_kedro.text.words import LETTER, words_of

UNDETERMINED = "und"
READ_BLOCK = 16384
"""Captions :func:`read_captions` takes through each step at a time: the language detector
reads them all at once, in as many steps as the longest has bytes."""

# The languages langdetect knew, which the detector is limited to: with all of its 140 labels
# py3langid reads short English captions as Nigerian Pidgin (pcm), Luxembourgish and the like.
# langdetect's zh-cn and zh-tw are one "zh" here.
LANGUAGES = (
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi",
    "fr", "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml",
    "mr", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip

# The scripts that, of :data:`LANGUAGES`, one language alone writes: Korean's Hangul
# syllables, Japanese kana, Hebrew, Greek, Thai and the Indic scripts of one language each. A
# few letters of one tell the language ("맛있다", "שבת שלום", "ありがとう": py3langid is above
# 0.99 sure), where a few Latin, Cyrillic, Arabic or Devanagari letters do not ("me again"
# reads as Indonesian). Chinese characters are not among them: Japanese writes them too; nor
# are Hangul's letters alone (jamo), which py3langid does not know ("ㅋㅋㅋ" reads as Japanese).
ONE_LANGUAGE_SCRIPT = regex.compile(
    r"[\uac00-\ud7a3\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hebrew}\p{sc=Greek}\p{sc=Thai}"
    r"\p{sc=Bengali}\p{sc=Gujarati}\p{sc=Gurmukhi}\p{sc=Kannada}\p{sc=Malayalam}\p{sc=Tamil}"
    r"\p{sc=Telugu}]"
)

NUMERIC_FEATURES = (
    "length",
    "word_count",
    "hashtag_count",
    "mention_count",
    "emoji_count",
    "is_english",
    "language_known",
    "sentiment",
)


@dataclass
class TextStats:
    """Counts of what happened while reading captions, for the report."""

    captions: int = 0
    empty: int = 0
    longer_than_max_chars: int = 0
    language_undetermined: dict[str, int] = field(default_factory=Counter)
    languages: dict[str, int] = field(default_factory=Counter)
    sentiment_not_english: int = 0

    def add_empty(self, count: int = 1) -> None:
        """Count ``count`` empty (or blank) captions: their language is ``"und"``."""
        if not count:
            return
        self.captions += count
        self.empty += count
        self.language_undetermined["empty"] += count
        self.languages[UNDETERMINED] += count

    def add(self, other: "TextStats") -> None:
        """Count ``other``'s captions in these counts too (e.g. a chunk read elsewhere)."""
        self.captions += other.captions
        self.empty += other.empty
        self.longer_than_max_chars += other.longer_than_max_chars
        self.language_undetermined.update(other.language_undetermined)
        self.languages.update(other.languages)
        self.sentiment_not_english += other.sentiment_not_english

    def as_dict(self) -> dict:
        return {
            "captions": self.captions,
            "empty": self.empty,
            "longer_than_max_chars": self.longer_than_max_chars,
            "language_undetermined": dict(sorted(self.language_undetermined.items())),
            "languages": dict(self.languages.most_common()),
            "sentiment_not_english": self.sentiment_not_english,
        }


def _emoji_run_pattern() -> str:
    """A regex for runs of characters that can belong to an emoji: every character of
    ``emoji``'s search tree, the variation selectors and the ZWJ; except that a character
    that only starts emojis and is none by itself (``#``, ``*`` and digits start keycaps) is
    in a run only when followed by a character that continues one of them."""
    tree = get_search_tree()
    inner = {"\ufe0e", "\ufe0f", "\u200d"}
    nodes = list(tree.values())
    while nodes:
        node = nodes.pop()
        for key, child in node.items():
            if key != "data":
                inner.add(key)
                nodes.append(child)
    leads = {key for key, child in tree.items() if "data" not in child and key not in inner}
    others = (set(tree) - leads) | inner
    continued = {key for lead in leads for key in tree[lead] if key != "data"}
    return f"(?:[{character_class(leads)}](?=[{character_class(continued)}])|{one_of(others)})+"


# Runs of characters that can belong to an emoji. ``emoji``'s tokenizer passes every other
# character through unchanged and never reads an emoji across one, so each run is tokenized
# on its own (the same tokens as over the whole text, checked in tests/text/test_captions.py)
# and the rest of the text, usually all of it, is not walked character by character.
_EMOJI_RUN = re.compile(_emoji_run_pattern())
# An ASCII text holds no run: every character a run can have is past ASCII, or (#, *, a digit)
# needs one that is after it.
_ASCII_HAS_NO_RUN = not any(
    _EMOJI_RUN.search(chr(a) + chr(b)) for a in range(128) for b in range(128)
)


@lru_cache(maxsize=1 << 14)
def _emoji_run(run: str) -> tuple[str, tuple[str, ...]]:
    """(``run`` with each emoji replaced by a space, its emojis) as ``emoji.replace_emoji``
    and ``emoji.emoji_list`` read them (both tokenize with ``keep_zwj=False``)."""
    pieces, found = [], []
    for token in tokenize(run, keep_zwj=False):
        if isinstance(token.value, EmojiMatch):
            pieces.append(" ")
            found.append(token.value.emoji)
        else:
            pieces.append(token.value)
    return "".join(pieces), tuple(found)


def scan_emojis(text: str) -> tuple[str, list[str]]:
    """(``emoji.replace_emoji(text, replace=" ")``, the emojis of ``emoji.emoji_list(text)``),
    the same values, in one pass that skips the characters no emoji contains."""
    if _ASCII_HAS_NO_RUN and text.isascii():
        return text, []
    pieces, found, last = [], [], 0
    for run in _EMOJI_RUN.finditer(text):
        start, end = run.span()
        replaced, emojis = _emoji_run(run.group())
        pieces += [text[last:start], replaced]
        found += emojis
        last = end
    if not last:
        return text, found
    pieces.append(text[last:])
    return "".join(pieces), found


def emojis_in(text: str) -> list[str]:
    """Emojis of ``text`` in order; a ZWJ sequence or skin-toned emoji is one emoji."""
    return scan_emojis(text)[1]


# A credit: who took the picture ("📸: @name", "photo by @name", "photography: @name") or made
# the reposted content ("credit: @name", "(C&C: @name)", "credit & consent: @name"), which
# every kind of account writes and which says nothing of what the post is about.
CREDIT = re.compile(
    r"(?:[\U0001f4f8\U0001f4f7\U0001f3a5]\ufe0f?|\b(?:photo(?:graph(?:y|ed))?|pics?|shot)"
    r"(?:\s+(?:by|credit))?|\b(?:credits?|c\s*[&+]\s*c)(?:\s*(?:&|and)\s*consent)?)"
    r"\s*[:\-\u2013\u2014]?\s*(?:by\s+)?@[\w.]+",
    re.IGNORECASE,
)
# What every credit holds before its @account, case-folded: looking for these first spares
# the whole pattern most captions that tag someone.
_CREDIT_HINTS = (
    "\U0001f4f8", "\U0001f4f7", "\U0001f3a5", "photo", "pic", "shot", "credit", "&", "+",
)  # fmt: skip
# English contractions: the ending of one ("it's", "we'll", "i've", "y'all"), cut off, and
# the "n't" of a negated auxiliary ("don't", "can't"), whose whole word goes. Either leaves a
# stop word or nothing, where a tokenizer would keep "don", "ll" and "ve" as words of their own.
_CONTRACTION_ENDING = re.compile(r"['’](?:s|m|re|ve|ll|d|all)\b", re.IGNORECASE)
_NEGATION = re.compile(r"n['’]t\b", re.IGNORECASE)


def strip_credits(text: str) -> str:
    """``text`` with its credits (:data:`CREDIT`) replaced by a space."""
    if "@" not in text:  # every credit names an @account
        return text
    folded = text.casefold()  # as the pattern's IGNORECASE: "ſhot" is "shot"
    if not any(hint in folded for hint in _CREDIT_HINTS):
        return text
    return CREDIT.sub(" ", text)


def without_contractions(text: str) -> str:
    """``text`` without its English contractions: "don't" goes, "it's" is "it"; a name such
    as "O'Keeffe" stays."""
    if "'" not in text and "’" not in text:
        return text
    kept, end = [], 0
    for negation in _NEGATION.finditer(text):
        # The word of the "n't": the letters before it (found from the "n't", which is
        # cheaper than a pattern that tries every word).
        start = negation.start()
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        if start < negation.start():
            kept.append(text[end:start])
            end = negation.end()
    if kept:
        text = "".join(kept) + text[end:]
    return _CONTRACTION_ENDING.sub("", text)


def content_text(text: str) -> str:
    """What says what a caption is about, as the topics and the cluster descriptions read it:
    :func:`unstyled`, without credits, web addresses and contractions."""
    return without_contractions(without_web_addresses(strip_credits(unstyled(text))))


def plain_text(text: str) -> str:
    """``text`` without hashtags, mentions, emojis and URLs: what a language detector reads."""
    text = URL.sub(" ", text)
    text = strip_tags(text)
    return scan_emojis(text)[0]


@cache
def _sentiment_analyzer() -> WindowedSentimentAnalyzer:
    return WindowedSentimentAnalyzer()


@cache
def _language_identifier() -> LanguageIdentifier:
    """py3langid's model (loaded once per process, about 0.5 s), limited to :data:`LANGUAGES`."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


@cache
def _batch_identifier() -> BatchLanguageIdentifier:
    """:func:`_language_identifier`'s model, reading many texts at once."""
    return BatchLanguageIdentifier(_language_identifier())


def detect_language(
    text: str,
    min_letters: int = 12,
    min_probability: float = 0.3,
    max_chars: int = 2200,
    stats: TextStats | None = None,
) -> str:
    """ISO 639-1 code of ``text``'s language, or ``"und"`` when it cannot be told.

    Hashtags, mentions, emojis and URLs are removed first; texts longer than ``max_chars``
    are cut there (Instagram's own caption limit is 2,200 characters). The detector is
    py3langid limited to :data:`LANGUAGES`; ``min_probability`` is on its normalized
    probability (a softmax over those languages, comparable across text lengths), not on
    langdetect's scale: 0.3 leaves as many real captions ``"und"`` as langdetect's 0.8 did.

    Why a caption is ``"und"`` is counted in ``stats.language_undetermined``: ``empty``,
    ``too_few_letters`` (after the removal, fewer than ``min_letters`` and none of a script
    one language alone writes, :data:`ONE_LANGUAGE_SCRIPT`), ``no_features`` (none of the
    model's byte n-grams occur, e.g. ``"WWWWWWWWWWWWWW"``: every language is equally likely)
    or ``low_probability``.
    """
    if not text.strip():
        _count_undetermined(stats, "empty")
        return UNDETERMINED
    return detect_languages([plain_text(text)], min_letters, min_probability, max_chars, stats)[0]


def detect_languages(
    plains: list[str],
    min_letters: int = 12,
    min_probability: float = 0.3,
    max_chars: int = 2200,
    stats: TextStats | None = None,
) -> list[str]:
    """:func:`detect_language` of non-blank texts, given their :func:`plain_text`; read by the
    detector :data:`READ_BLOCK` texts at once (``text.language.BatchLanguageIdentifier``:
    a larger batch walks more rows at each of its steps, and takes longer per text)."""
    languages = [UNDETERMINED] * len(plains)
    readable = []
    for i, plain in enumerate(plains):
        if _too_few_letters(plain, min_letters):
            _count_undetermined(stats, "too_few_letters")
        else:
            readable.append(i)
    found, probabilities = [], []
    for start in range(0, len(readable), READ_BLOCK):
        block = [plains[i][:max_chars] for i in readable[start : start + READ_BLOCK]]
        block_found, block_probabilities = _batch_identifier().classify(block)
        found += block_found
        probabilities += block_probabilities.tolist()
    for i, language, probability in zip(readable, found, probabilities, strict=True):
        # Without features py3langid's probabilities are uniform, 1/54 each: no answer at all.
        if probability * len(LANGUAGES) < 1.0 + 1e-4:
            _count_undetermined(stats, "no_features")
        elif probability < min_probability:
            _count_undetermined(stats, "low_probability")
        else:
            languages[i] = language
    return languages


def _too_few_letters(plain: str, min_letters: int) -> bool:
    """Whether ``plain`` has too few letters for its language to be told: fewer than
    ``min_letters`` and no letter of a script one language alone writes
    (:data:`ONE_LANGUAGE_SCRIPT`)."""
    # Letters are counted up to min_letters: a long caption is not walked to its end.
    if not min_letters or next(islice(LETTER.finditer(plain), min_letters - 1, None), None):
        return False
    return plain.isascii() or ONE_LANGUAGE_SCRIPT.search(plain) is None


def _count_undetermined(stats: TextStats | None, reason: str) -> None:
    if stats is not None:
        stats.language_undetermined[reason] += 1


def sentiment(text: str, language: str, max_chars: int = 2200) -> float:
    """VADER compound score in [-1, 1]; 0.0 for text in a language other than English.

    Text beyond ``max_chars`` (Instagram's own caption limit is 2,200 characters) is not read.
    """
    if not text.strip() or language not in ("en", UNDETERMINED):
        return 0.0
    return float(_sentiment_analyzer().polarity_scores(text[:max_chars])["compound"])


@dataclass(frozen=True, slots=True)
class CaptionParts:
    """What the text features read of one caption, worked out once and shared by the counts,
    the lexicon and the classifier: ``plain`` (:func:`plain_text`), its ``words``
    (``text.words.words_of``: Chinese, Japanese and Thai split into words), every hashtag
    in order (``extract_hashtags(text, unique=False)``), the emojis (:func:`emojis_in`) and
    every mention in order (``extract_mentions(text, unique=False)``), as tuples."""

    text: str
    plain: str
    words: tuple[str, ...]
    hashtags: tuple[str, ...]
    emojis: tuple[str, ...]
    mentions: tuple[str, ...] = ()

    def unique_hashtags(self) -> list[str]:
        """``extract_hashtags(text)``: each hashtag once, in order of first use."""
        return list(dict.fromkeys(self.hashtags))

    def unique_mentions(self) -> list[str]:
        """``extract_mentions(text)``: each mentioned account once, in order of first use."""
        return list(dict.fromkeys(self.mentions))


@lru_cache(maxsize=1 << 15)
def caption_parts(text: str) -> CaptionParts:
    """The :class:`CaptionParts` of ``text`` (a string), read :func:`unstyled` (``text`` of
    the parts too). Cached: the interest classifier's fit and ``post_text_features`` read the
    same captions one after the other."""
    if not text:
        return CaptionParts(text, "", (), (), ())
    text = unstyled(text)
    plain = plain_text(text)
    return CaptionParts(
        text,
        plain,
        tuple(words_of(plain)),
        tuple(extract_hashtags(text, unique=False)),
        tuple(emojis_in(text)),
        tuple(extract_mentions(text, unique=False)) if "@" in text else (),
    )


def caption_features(
    captions: pd.Series,
    min_letters: int = 12,
    min_probability: float = 0.3,
    max_chars: int = 2200,
    stats: TextStats | None = None,
    progress: str | None = None,
) -> pd.DataFrame:
    """One row of numeric features per caption (index kept), plus a ``language`` column.

    Missing captions (None/NaN) are read as ``""``. ``progress``: the name of a progress bar
    (done/total, rate, time left) shown while reading, in a terminal only; None: no bar.
    """
    return read_captions(captions, min_letters, min_probability, max_chars, stats, progress)[0]


def read_captions(
    captions: pd.Series,
    min_letters: int = 12,
    min_probability: float = 0.3,
    max_chars: int = 2200,
    stats: TextStats | None = None,
    progress: str | None = None,
) -> tuple[pd.DataFrame, list[CaptionParts]]:
    """:func:`caption_features` and the :class:`CaptionParts` of each caption (for the
    lexicon and the classifier, which then need not read the captions again).

    The captions are read :data:`READ_BLOCK` at a time, one step after the other: their parts,
    then the languages of the whole block at once (:func:`detect_languages`), then their
    sentiments, so VADER's tables stay in the CPU's caches for a whole block."""
    stats = stats if stats is not None else TextStats()
    texts = [raw if isinstance(raw, str) else "" for raw in captions.tolist()]
    rows, parts = [], []
    bar = tqdm(
        total=len(texts),
        desc=progress,
        unit="caption",
        disable=True if progress is None else None,  # None: off where output is no terminal
        mininterval=0.5,
    )
    for start in range(0, len(texts), READ_BLOCK):
        block = texts[start : start + READ_BLOCK]
        read = [caption_parts(text) for text in block]
        blank = [not text.strip() for text in block]
        detected = iter(
            detect_languages(
                [r.plain for r, empty in zip(read, blank, strict=True) if not empty],
                min_letters,
                min_probability,
                max_chars,
                stats,
            )
        )
        languages = [UNDETERMINED if empty else next(detected) for empty in blank]
        sentiments = [
            sentiment(r.text, language, max_chars)
            for r, language in zip(read, languages, strict=True)
        ]
        for text, r, empty, language, score in zip(
            block, read, blank, languages, sentiments, strict=True
        ):
            if len(text) > max_chars:
                stats.longer_than_max_chars += 1
            if empty:
                stats.add_empty()
            else:
                stats.captions += 1
                stats.languages[language] += 1
                if language not in ("en", UNDETERMINED):
                    stats.sentiment_not_english += 1
            rows.append(
                (
                    len(text),
                    len(r.words),
                    len(r.hashtags),
                    len(r.mentions),
                    len(r.emojis),
                    float(language == "en"),
                    float(language != UNDETERMINED),
                    score,
                    language,
                )
            )
        parts += read
        bar.update(len(block))
    bar.close()
    frame = pd.DataFrame(rows, columns=[*NUMERIC_FEATURES, "language"], index=captions.index)
    if frame.empty:
        frame = frame.astype({name: np.float64 for name in NUMERIC_FEATURES})
    return frame, parts
