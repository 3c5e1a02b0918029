"""Interest scores over a curated set of categories, from captions and ImageNet labels.

Two user-editable tables in ``conf/base/interests/`` (loaded as catalog YAML datasets):

- ``lexicon.yml``: category → terms. A term is a word (``outfit``), a hashtag without ``#``
  or an emoji. A caption's words, hashtags and emojis are matched exactly (a trailing
  plural ``s``/``es`` is also tried), and terms of ``min_compound_length`` or more letters
  are also found inside hashtags (``#fitnessmotivation`` → fitness).
- ``imagenet_categories.yml``: category → ``names`` (Keras ImageNet class names such as
  ``golden_retriever``) and ``index_ranges`` (``"151-268"``, matching the
  ``imagenet_class_<index>`` labels written when the class-name file is unavailable).

Scores of a text are the share of its matched terms per category (they sum to 1, or are all
0 when nothing matched); image scores are the summed top-k probabilities of mapped labels,
renormalized the same way.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insta_kedro.caption_tags import extract_hashtags
from insta_kedro.caption_text import WORD, emojis_in, plain_text

REQUIRED_CATEGORIES = (
    "fashion",
    "beauty",
    "fitness",
    "sports",
    "food",
    "travel",
    "nature",
    "pets",
    "music",
    "art",
    "family",
    "tech",
    "politics",
    "business",
)

# Presentation selectors, skin tones, and a ZWJ gender sign (🏋️‍♀️ = 🏋️ + ZWJ + ♀️).
_EMOJI_MODIFIERS = re.compile("[\ufe0f\ufe0e\U0001f3fb-\U0001f3ff]|\u200d[\u2640\u2642]")
_IMAGENET_INDEX_LABEL = re.compile(r"imagenet_class_(\d+)$")


def normalize_term(term: str) -> str:
    """Lower-case, NFC, without ``#``, emoji presentation/skin-tone modifiers and gender signs."""
    term = unicodedata.normalize("NFC", str(term)).strip().lower().lstrip("#")
    return _EMOJI_MODIFIERS.sub("", term)


@dataclass(frozen=True)
class InterestLexicon:
    """Compiled lexicon: exact terms and a regex of long terms for compound hashtags."""

    categories: tuple[str, ...]
    term_categories: Mapping[str, tuple[int, ...]]
    compound_pattern: re.Pattern | None

    @classmethod
    def from_config(
        cls, lexicon: Mapping[str, Iterable[str]], min_compound_length: int = 4
    ) -> "InterestLexicon":
        """Build from ``{category: [terms]}``; raises ValueError when it lacks a category."""
        missing = [name for name in REQUIRED_CATEGORIES if name not in lexicon]
        if missing:
            raise ValueError(f"interest lexicon lacks categories {missing}")
        categories = tuple(lexicon)
        term_categories: dict[str, list[int]] = {}
        for index, category in enumerate(categories):
            for term in lexicon[category] or []:
                key = normalize_term(term)
                if key and index not in term_categories.setdefault(key, []):
                    term_categories[key].append(index)
        long_terms = sorted(
            (t for t in term_categories if len(t) >= min_compound_length and t.isalpha()),
            key=len,
            reverse=True,
        )
        pattern = re.compile("|".join(map(re.escape, long_terms))) if long_terms else None
        return cls(categories, {k: tuple(v) for k, v in term_categories.items()}, pattern)

    def _lookup(self, token: str) -> tuple[int, ...]:
        for candidate in (
            token,
            token[:-1] if token.endswith("s") else None,
            token[:-2] if token.endswith("es") else None,
        ):
            if candidate and candidate in self.term_categories:
                return self.term_categories[candidate]
        return ()

    def match_counts(self, text: str) -> np.ndarray:
        """Matched terms per category in ``text`` (words, hashtags, emojis)."""
        counts = np.zeros(len(self.categories), dtype=np.float64)
        if not isinstance(text, str) or not text:
            return counts
        tokens = [normalize_term(w) for w in WORD.findall(plain_text(text))]
        tokens += [normalize_term(e) for e in emojis_in(text)]
        for token in tokens:
            for index in self._lookup(token):
                counts[index] += 1
        for tag in map(normalize_term, extract_hashtags(text)):
            found = self._lookup(tag)
            if not found and self.compound_pattern is not None:
                found = tuple(
                    i for m in self.compound_pattern.findall(tag) for i in self.term_categories[m]
                )
            for index in found:
                counts[index] += 1
        return counts

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(shares per category, total matches) for each text; shares are 0 without match."""
        counts = np.array([self.match_counts(t) for t in texts], dtype=np.float64)
        counts = counts.reshape(len(texts), len(self.categories))
        return shares(counts), counts.sum(axis=1)


def shares(weights: np.ndarray) -> np.ndarray:
    """Rows divided by their sum; rows summing to 0 stay 0 (never NaN)."""
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def _parse_ranges(ranges: Iterable[str | int]) -> set[int]:
    indices: set[int] = set()
    for item in ranges or []:
        first, _, last = str(item).partition("-")
        indices.update(range(int(first), int(last or first) + 1))
    return indices


def image_label_interests(
    image_labels: pd.DataFrame,
    table: Mapping[str, Mapping[str, Iterable]],
    categories: Sequence[str],
) -> pd.DataFrame:
    """Per post: category shares from its top-k ImageNet labels and the top-1 probability.

    Returns a frame indexed by ``post_id`` with one column per category and ``top1_probability``;
    empty when ``image_labels`` is empty (random encoder weights).
    """
    columns = [*categories, "top1_probability"]
    if image_labels.empty:
        return pd.DataFrame(columns=columns, dtype=np.float64).rename_axis("post_id")
    names = {
        c: {normalize_term(n) for n in (table.get(c) or {}).get("names", [])} for c in categories
    }
    ranges = {c: _parse_ranges((table.get(c) or {}).get("index_ranges", [])) for c in categories}
    labels = image_labels.assign(label=image_labels["label"].astype(str))

    def categories_of(label: str) -> list[int]:
        match = _IMAGENET_INDEX_LABEL.match(label)
        key = normalize_term(label)
        return [
            i
            for i, c in enumerate(categories)
            if key in names[c] or (match is not None and int(match.group(1)) in ranges[c])
        ]

    label_categories = {label: categories_of(label) for label in labels["label"].unique()}
    post_ids = labels["post_id"].unique()
    position = {post_id: i for i, post_id in enumerate(post_ids)}
    weights = np.zeros((len(post_ids), len(categories)))
    for post_id, label, probability in labels[["post_id", "label", "probability"]].itertuples(
        index=False
    ):
        for index in label_categories[label]:
            weights[position[post_id], index] += float(np.nan_to_num(probability))
    top1 = (
        labels.sort_values(["post_id", "rank"])
        .groupby("post_id", sort=False)["probability"]
        .first()
        .reindex(post_ids)
        .fillna(0.0)
        .to_numpy(dtype=np.float64)
    )
    frame = pd.DataFrame(shares(weights), columns=list(categories), index=post_ids)
    frame["top1_probability"] = top1
    return frame.rename_axis("post_id")
