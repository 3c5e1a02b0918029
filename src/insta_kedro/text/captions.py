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
  below ``min_probability`` on py3langid's normalized probability, the language is ``"und"``.
- Sentiment: VADER's compound score in [-1, 1]. VADER's lexicon is English only: captions
  detected as another language get 0.0 (counted as ``sentiment_not_english``); emojis are
  part of VADER's lexicon, so emoji-only captions do get a score.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import emoji
import numpy as np
import pandas as pd
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from tqdm import tqdm
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from insta_kedro.text.tags import extract_hashtags, extract_mentions, strip_tags

UNDETERMINED = "und"

# The languages langdetect knew, which the detector is limited to: with all of its 140 labels
# py3langid reads short English captions as Nigerian Pidgin (pcm), Luxembourgish and the like.
# langdetect's zh-cn and zh-tw are one "zh" here.
LANGUAGES = (
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi",
    "fr", "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml",
    "mr", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip


def _combining_marks() -> str:
    """Every combining mark (Unicode categories Mn, Mc, Me) as ranges of a regex class."""
    marks = {
        code
        for code in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0))
        if unicodedata.category(chr(code)).startswith("M")
    }
    starts = sorted(code for code in marks if code - 1 not in marks)
    ends = sorted(code for code in marks if code + 1 not in marks)
    return "".join(
        f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in zip(starts, ends, strict=True)
    )


# Combining marks (Devanagari and Thai vowel signs, a decomposed accent) are not in ``\w``, yet
# belong to the word they follow: दिवस is one word, not द + वस.
COMBINING_MARKS = _combining_marks()
_LETTERS = rf"[^\W\d_](?:[^\W\d_]+|[{COMBINING_MARKS}]+)*"
WORD = re.compile(rf"{_LETTERS}(?:['’]{_LETTERS})?")
LETTER = re.compile(r"[^\W\d_]")

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


def emojis_in(text: str) -> list[str]:
    """Emojis of ``text`` in order; a ZWJ sequence or skin-toned emoji is one emoji."""
    return [match["emoji"] for match in emoji.emoji_list(text)]


def plain_text(text: str) -> str:
    """``text`` without hashtags, mentions, emojis and URLs: what a language detector reads."""
    text = re.sub(r"https?://\S+", " ", text)
    text = strip_tags(text)
    return emoji.replace_emoji(text, replace=" ")


@cache
def _sentiment_analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@cache
def _language_identifier() -> LanguageIdentifier:
    """py3langid's model (loaded once per process, about 0.5 s), limited to :data:`LANGUAGES`."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


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
    ``too_few_letters`` (after the removal), ``no_features`` (none of the model's byte
    n-grams occur, e.g. ``"WWWWWWWWWWWWWW"``: every language is equally likely) or
    ``low_probability``.
    """
    if not text.strip():
        _count_undetermined(stats, "empty")
        return UNDETERMINED
    plain = plain_text(text)
    if len(LETTER.findall(plain)) < min_letters:
        _count_undetermined(stats, "too_few_letters")
        return UNDETERMINED
    identifier = _language_identifier()
    language, probability = identifier.classify(plain[:max_chars])
    # Without features py3langid's probabilities are uniform, 1/54 each: no answer at all.
    if probability * len(LANGUAGES) < 1.0 + 1e-4:
        _count_undetermined(stats, "no_features")
        return UNDETERMINED
    if probability < min_probability:
        _count_undetermined(stats, "low_probability")
        return UNDETERMINED
    return language


def _count_undetermined(stats: TextStats | None, reason: str) -> None:
    if stats is not None:
        stats.language_undetermined[reason] += 1


def sentiment(text: str, language: str, max_chars: int = 2200) -> float:
    """VADER compound score in [-1, 1]; 0.0 for text in a language other than English.

    Text beyond ``max_chars`` is not read: VADER's time grows faster than the length.
    """
    if not text.strip() or language not in ("en", UNDETERMINED):
        return 0.0
    return float(_sentiment_analyzer().polarity_scores(text[:max_chars])["compound"])


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
    stats = stats if stats is not None else TextStats()
    rows = []
    texts = tqdm(
        captions.tolist(),
        desc=progress,
        unit="caption",
        disable=True if progress is None else None,  # None: off where output is no terminal
        mininterval=0.5,
    )
    for raw in texts:
        text = raw if isinstance(raw, str) else ""
        stats.captions += 1
        if len(text) > max_chars:
            stats.longer_than_max_chars += 1
        if not text.strip():
            stats.empty += 1
        language = detect_language(text, min_letters, min_probability, max_chars, stats)
        stats.languages[language] += 1
        if language not in ("en", UNDETERMINED):
            stats.sentiment_not_english += 1
        rows.append(
            (
                len(text),
                len(WORD.findall(plain_text(text))),
                len(extract_hashtags(text, unique=False)),
                len(extract_mentions(text, unique=False)),
                emoji.emoji_count(text),
                float(language == "en"),
                float(language != UNDETERMINED),
                sentiment(text, language, max_chars),
                language,
            )
        )
    frame = pd.DataFrame(rows, columns=[*NUMERIC_FEATURES, "language"], index=captions.index)
    if frame.empty:
        frame = frame.astype({name: np.float64 for name in NUMERIC_FEATURES})
    return frame
