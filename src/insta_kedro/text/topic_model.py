"""Caption topics: TF-IDF over words and hashtags → TruncatedSVD (latent semantic analysis).

Words and hashtags are separate tokens (``beach`` and ``#beach`` are two columns), so a
profile's hashtag habits and its prose both shape the topics. The fitted model always
returns ``n_topics`` columns: when the captions are too few or too poor for that many
components (or for any: no word at all), the missing components are zero, so the columns of
``post_text_features`` never depend on the data.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from insta_kedro.text.captions import content_text
from insta_kedro.text.tags import COMBINING_MARKS
from insta_kedro.text.words import is_spaceless, segmented

logger = logging.getLogger(__name__)

# A hashtag (kept with its '#') or a word of 2+ letters/digits, in any script, with its
# combining marks (दिवस is one token).
TOKEN_PATTERN = rf"#?\w(?:[\w{COMBINING_MARKS}])+"
_TOKEN = re.compile(TOKEN_PATTERN)


def topic_tokens(text: str) -> list[str]:
    """The vectorizer's tokens of a (lower-cased) text: the matches of :data:`TOKEN_PATTERN`,
    a word of a script written without spaces (Chinese, Japanese, Thai) split into its words
    of 2+ characters (``text.words.segmented``); a hashtag stays whole."""
    tokens = _TOKEN.findall(text)
    if not is_spaceless(text):
        return tokens
    return [
        piece
        for token in tokens
        for piece in (segmented(token) if token[0] != "#" and is_spaceless(token) else (token,))
        if len(piece) > 1
    ]


@dataclass
class CaptionTopicModel:
    """Fitted TF-IDF vectorizer and SVD (both None when there was nothing to fit)."""

    n_topics: int
    vectorizer: TfidfVectorizer | None = None
    svd: TruncatedSVD | None = None

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Topic vectors, shape (len(texts), n_topics), float32; zero rows for empty texts."""
        topics = np.zeros((len(texts), self.n_topics), dtype=np.float32)
        if self.vectorizer is None or self.svd is None or len(texts) == 0:
            return topics
        reduced = self.svd.transform(self.vectorizer.transform([_text(t) for t in texts]))
        topics[:, : reduced.shape[1]] = reduced
        return topics

    def top_terms(self, n_terms: int = 8) -> list[list[str]]:
        """The heaviest terms of each fitted component (for reports and docs)."""
        if self.vectorizer is None or self.svd is None:
            return []
        vocabulary = self.vectorizer.get_feature_names_out()
        return [
            [str(vocabulary[i]) for i in np.argsort(-component)[:n_terms]]
            for component in self.svd.components_
        ]


def _text(value: object) -> str:
    """A caption as the vectorizer reads it (:func:`content_text`: styled letters read
    plainly, without credits, web addresses and contractions), ``""`` when missing."""
    return content_text(value) if isinstance(value, str) else ""


def fit_topic_model(
    texts: Sequence[str],
    n_topics: int = 16,
    min_df: int = 2,
    max_df: float = 0.5,
    max_features: int = 20000,
    stop_words: str | list[str] | None = "english",
    seed: int = 42,
) -> CaptionTopicModel:
    """Fit TF-IDF (sublinear tf, ``min_df``/``max_df`` pruning) and a TruncatedSVD on ``texts``.

    ``stop_words``: scikit-learn's ``"english"`` list, a list of words, or None.
    """
    documents = [text for text in map(_text, texts) if text.strip()]
    vectorizer = TfidfVectorizer(
        tokenizer=topic_tokens,
        token_pattern=None,
        lowercase=True,
        sublinear_tf=True,
        min_df=min_df if len(documents) >= 10 * min_df else 1,
        max_df=max_df if len(documents) >= 20 else 1.0,
        max_features=max_features,
        stop_words=stop_words,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError as error:  # no documents, or only stop words / one-letter tokens
        logger.warning("Caption topics not fitted (%s): topic columns are 0.", error)
        return CaptionTopicModel(n_topics)
    n_components = min(n_topics, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if n_components < 1:
        logger.warning(
            "Caption topics not fitted: %d captions × %d terms is too little; topic columns are 0.",
            *matrix.shape,
        )
        return CaptionTopicModel(n_topics)
    if n_components < n_topics:
        logger.info(
            "Caption topics: %d of %d components fitted (small data).", n_components, n_topics
        )
    # One BLAS thread: the same components whatever the machine's core count (BLAS threads
    # split its sums differently), and no threads waiting on each other for small products.
    with threadpool_limits(limits=1, user_api="blas"):
        svd = TruncatedSVD(n_components=n_components, random_state=seed).fit(matrix)
    return CaptionTopicModel(n_topics, vectorizer, svd)
