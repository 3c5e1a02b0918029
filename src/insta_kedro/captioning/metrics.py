"""Caption model metrics: bits per character and measures of generated text.

Word tokens are the whitespace-separated pieces of a caption with the punctuation around
them stripped and typographic apostrophes (’ ʼ) written ' as in the word list; hashtags
(``#…``), mentions (``@…``) and tokens without a letter (emojis, numbers) are set aside, so
the real-word rate only judges what should be English words.
The English word list is wordfreq's most frequent ``n`` English words (offline data).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

_WORD_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})


def token_nats(
    model: keras.Model,
    images: np.ndarray,
    inputs: np.ndarray,
    targets: np.ndarray,
    batch_size: int = 64,
) -> tuple[float, int]:
    """Total -ln P of the non-padding targets under the network, and their number."""
    nats, count = 0.0, 0
    for start in range(0, len(inputs), batch_size):
        part = slice(start, start + batch_size)
        probs = np.asarray(model({"image": images[part], "tokens": inputs[part]}, training=False))
        picked = np.take_along_axis(probs, targets[part][..., None], axis=-1)[..., 0]
        mask = targets[part] != 0
        nats -= float(np.log(np.maximum(picked[mask], 1e-7)).sum())
        count += int(mask.sum())
    return nats, count


def bits_per_character(nats: float, count: int) -> float:
    return nats / max(count, 1) / math.log(2)


def words(caption: str) -> list[str]:
    """Word tokens of a caption (lower-case, ’ as '), hashtags, mentions, emojis and numbers
    aside."""
    out = []
    for piece in caption.split():
        if piece.startswith(("#", "@")):
            continue
        word = _WORD_EDGES.sub("", piece).lower().translate(_APOSTROPHES)
        if any(ch.isalpha() for ch in word):
            out.append(word)
    return out


@lru_cache(maxsize=4)
def english_words(n: int = 50_000) -> frozenset[str]:
    """wordfreq's ``n`` most frequent English words."""
    import wordfreq

    return frozenset(wordfreq.top_n_list("en", n))


def real_word_rate(captions: Iterable[str], word_list: frozenset[str]) -> float | None:
    """Share of word tokens found in ``word_list`` (None when there is no word token)."""
    tokens = [w for caption in captions for w in words(caption)]
    if not tokens:
        return None
    return sum(w in word_list for w in tokens) / len(tokens)


def hashtag_rate(captions: Sequence[str]) -> float | None:
    """Share of captions with at least one hashtag."""
    if not captions:
        return None
    return sum(bool(re.search(r"#\w", c)) for c in captions) / len(captions)


def distinct_n(captions: Iterable[str], n: int) -> float | None:
    """Distinct word n-grams / all word n-grams over the captions (whitespace tokens)."""
    grams = []
    for caption in captions:
        tokens = caption.split()
        grams += [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def copy_rate(generated: Sequence[str], training_captions: Iterable[str]) -> float | None:
    """Share of generated captions equal to a training caption (whitespace trimmed)."""
    if not generated:
        return None
    seen = {c.strip() for c in training_captions}
    return sum(g.strip() in seen for g in generated) / len(generated)


def bleu_scores(generated: Sequence[str], references: Sequence[str]) -> dict[str, float | None]:
    """Mean sentence BLEU-1..4 (word tokens, nltk smoothing method 1) against one reference."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    smoothing = SmoothingFunction().method1
    weights = {1: (1.0,), 2: (0.5, 0.5), 3: (1 / 3,) * 3, 4: (0.25,) * 4}
    pairs = [
        (g.split(), r.split()) for g, r in zip(generated, references, strict=True) if r.split()
    ]
    scores: dict[str, float | None] = {}
    for n, w in weights.items():
        values = [
            sentence_bleu([ref], hyp, weights=w, smoothing_function=smoothing) if hyp else 0.0
            for hyp, ref in pairs
        ]
        scores[f"bleu_{n}"] = float(np.mean(values)) if values else None
    return scores


def ended_rate(captions: Sequence[str], max_len: int) -> float | None:
    """Share of captions that end within ``max_len`` tokens: shorter than ``max_len``
    characters, so that the stop token follows them (a generated caption of ``max_len``
    characters ran into the limit; a real one that long is cut before its stop token).
    None without captions."""
    if not captions:
        return None
    return sum(len(c) < max_len for c in captions) / len(captions)


def mean_length(captions: Sequence[str], max_len: int) -> float | None:
    """Mean number of characters of the captions cut to ``max_len`` (what the model reads
    and writes of them); None without captions."""
    return float(np.mean([min(len(c), max_len) for c in captions])) if captions else None


def text_metrics(
    generated: Sequence[str],
    references: Sequence[str],
    training_captions: Iterable[str],
    word_list: frozenset[str],
    *,
    max_len: int,
) -> dict[str, float | None]:
    """Every generation metric of ``caption_metrics`` for one set of captions ``generated``:
    against the ``references`` (BLEU), the ``training_captions`` (copies) and the
    ``word_list`` (real words), and their lengths at ``max_len`` tokens (``mean_length``,
    ``ended_rate``)."""
    return {
        "real_word_rate": real_word_rate(generated, word_list),
        "hashtag_rate": hashtag_rate(generated),
        "distinct_1": distinct_n(generated, 1),
        "distinct_2": distinct_n(generated, 2),
        "copy_rate": copy_rate(generated, training_captions),
        "mean_length": mean_length(generated, max_len),
        "ended_rate": ended_rate(generated, max_len),
        **bleu_scores(generated, references),
    }
