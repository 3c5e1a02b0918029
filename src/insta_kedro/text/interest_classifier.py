"""Interests past the lexicon: a classifier trained on the posts the lexicon labels with
confidence (self-training, one round).

The lexicon (``insta_kedro.text.interest_lexicon``) stays the editable seed. Posts whose matched
weight is at least ``min_seed_weight`` with at least ``min_seed_share`` of it in one category
are that category's seeds. A TF-IDF (words, hashtags split into words, emojis) + logistic
regression model is fitted on the seeds, then scores every caption: a comedy page's posts
without "lol" or "😂" get comedy from the words they share with those that have them.
Categories with fewer than ``min_seeds`` seeds are left to the lexicon; with fewer than two
such categories no model is fitted and every score is 0.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from insta_kedro.engine import bounded_rows
from insta_kedro.text.captions import CaptionParts, caption_parts
from insta_kedro.text.common_words import folded, has_abjad
from insta_kedro.text.interest_lexicon import InterestLexicon, normalize_term, split_hashtag

logger = logging.getLogger(__name__)


def caption_tokens(text: str) -> list[str]:
    """Lower-case words (Arabic and Hebrew without their marks and tatweel,
    ``text.common_words.folded``), the words of each hashtag (split) and emojis of a
    caption."""
    if not isinstance(text, str) or not text:
        return []
    return tokens_of(caption_parts(text))


def tokens_of(parts: CaptionParts) -> list[str]:
    """:func:`caption_tokens` of the caption read as ``parts`` (:func:`caption_parts`)."""
    tokens = [normalize_term(w) for w in parts.words]
    if has_abjad(parts.plain):
        tokens = [folded(token) for token in tokens]
    for tag in parts.unique_hashtags():
        tokens += split_hashtag(tag)
    return tokens + [normalize_term(e) for e in parts.emojis]


def _given_tokens(tokens: list[str]) -> list[str]:
    """The vectorizer's analyzer: documents arrive as :func:`caption_tokens` lists."""
    return tokens


@dataclass
class InterestClassifier:
    """The fitted model over ``categories`` (None when there were too few seeds), and the
    seed count of each category."""

    categories: tuple[str, ...]
    vectorizer: TfidfVectorizer | None = None
    model: LogisticRegression | None = None
    seeds: dict[str, int] = field(default_factory=dict)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities ``(len(texts), categories)``; rows of 0 for empty texts and texts with
        no word the model knows, columns of 0 for categories the model was not trained on, all
        0 without a model."""
        if self.model is None or self.vectorizer is None or not len(texts):
            return np.zeros((len(texts), len(self.categories)), dtype=np.float64)
        return self.predict_tokens([caption_tokens(t) for t in texts])

    def predict_tokens(self, tokens: Sequence[list[str]]) -> np.ndarray:
        """:meth:`predict` of captions given as their :func:`caption_tokens`. A caption with
        no token of the model's vocabulary is a row of 0 too: the model knows nothing of it
        (its probabilities would be the intercepts', the same for every such caption)."""
        scores = np.zeros((len(tokens), len(self.categories)), dtype=np.float64)
        if self.model is None or self.vectorizer is None or not len(tokens):
            return scores
        rows = np.flatnonzero([bool(t) for t in tokens])
        if not len(rows):
            return scores
        matrix = self.vectorizer.transform([tokens[row] for row in rows])
        known = matrix.getnnz(axis=1) > 0
        if not known.any():
            return scores
        columns = [self.categories.index(c) for c in self.model.classes_]
        scores[np.ix_(rows[known], columns)] = self.model.predict_proba(matrix[known])
        return scores


def seed_labels(weights: np.ndarray, min_seed_weight: float, min_seed_share: float) -> np.ndarray:
    """Per text, the index of its seed category, or -1 when the lexicon is not confident.

    ``weights``: matched lexicon weight per category ``(texts, categories)``.
    """
    totals = weights.sum(axis=1)
    top = weights.argmax(axis=1)
    top_share = np.divide(weights.max(axis=1), totals, out=np.zeros_like(totals), where=totals > 0)
    confident = (totals >= min_seed_weight) & (top_share >= min_seed_share)
    return np.where(confident, top, -1)


def seed_weights(
    lexicon: InterestLexicon, parts: Sequence[CaptionParts], min_seed_weight: float
) -> np.ndarray:
    """The lexicon's weights of the captions read as ``parts``, in their languages
    (:meth:`InterestLexicon.weights_of`), whose languages are told only for the captions
    that weigh ``min_seed_weight`` or more in English: weighing a caption in its language
    only lowers its weights, so no other caption can become a seed."""
    weights = lexicon.weights_of(parts, ["en"] * len(parts))
    rows = np.flatnonzero(weights.sum(axis=1) >= min_seed_weight)
    if len(rows):
        weights[rows] = lexicon.weights_of([parts[row] for row in rows])
    return weights


def fit_interest_classifier(
    texts: Sequence[str],
    lexicon: InterestLexicon,
    min_seed_weight: float = 1.5,
    min_seed_share: float = 0.6,
    min_seeds: int = 5,
    regularization: float = 1.0,
    min_df: int = 2,
    seed: int = 42,
    max_fit: int | None = None,
) -> InterestClassifier:
    """Fit the classifier on the texts the lexicon labels with confidence.

    ``texts``: the posts' own captions. ``regularization``: logistic regression's ``C``.
    ``max_fit``: with more texts than this, the seeds are looked for in a random sample of
    ``max_fit`` of them (drawn with ``seed``), so the fit's cost stops growing with the posts;
    None: in every text. Returns an :class:`InterestClassifier`, without a model when fewer
    than two categories have ``min_seeds`` seeds.
    """
    if max_fit is not None and len(texts) > max_fit:
        logger.info(
            "Interest classifier: seed posts looked for in a random sample of %d of the %d "
            "captions (interest_classifier.max_fit).",
            max_fit,
            len(texts),
        )
        texts = [texts[i] for i in bounded_rows(len(texts), max_fit, seed)]
    parts = [caption_parts(t if isinstance(t, str) else "") for t in texts]
    labels = seed_labels(
        seed_weights(lexicon, parts, min_seed_weight), min_seed_weight, min_seed_share
    )
    counts = {
        lexicon.categories[i]: int(n)
        for i, n in zip(*np.unique(labels[labels >= 0], return_counts=True), strict=True)
    }
    kept = {lexicon.categories.index(c) for c, n in counts.items() if n >= min_seeds}
    classifier = InterestClassifier(lexicon.categories, seeds=counts)
    if len(kept) < 2:
        logger.info(
            "Interest classifier not fitted: %d categories with %d+ seed posts (%s); the "
            "lexicon alone scores interests.",
            len(kept),
            min_seeds,
            counts,
        )
        return classifier
    rows = [i for i, label in enumerate(labels) if label in kept]
    vectorizer = TfidfVectorizer(
        analyzer=_given_tokens, min_df=min(min_df, len(rows)), sublinear_tf=True
    )
    matrix = vectorizer.fit_transform([tokens_of(parts[i]) for i in rows])
    model = LogisticRegression(
        C=regularization, class_weight="balanced", max_iter=1000, random_state=seed
    )
    # One BLAS thread: L-BFGS works on vectors too short to gain from more (they wait on each
    # other, all the more on a busy machine), and the fit no longer depends on the core count.
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(matrix, [lexicon.categories[labels[i]] for i in rows])
    classifier.vectorizer, classifier.model = vectorizer, model
    logger.info(
        "Interest classifier fitted on %d seed posts of %d categories.", len(rows), len(kept)
    )
    return classifier
