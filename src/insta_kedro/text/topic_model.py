"""Caption topics: TF-IDF over words and hashtags → TruncatedSVD (latent semantic analysis).

Words and hashtags are separate tokens (``beach`` and ``#beach`` are two columns), so a
profile's hashtag habits and its prose both shape the topics. A caption's words leave out the
stop words of its own language (``stop_words="caption_language"``, ``text.stop_words``:
"de", "que", "und", "yang" are no topic), or one list for every caption. The fitted model always
returns ``n_topics`` columns: when the captions are too few or too poor for that many
components (or for any: no word at all), the missing components are zero, so the columns of
``post_text_features`` never depend on the data.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from insta_kedro.text.captions import content_text, detect_languages, plain_text
from insta_kedro.text.common_words import folded, has_abjad, is_stop_word, stop_words
from insta_kedro.text.styled import unstyled
from insta_kedro.text.tags import COMBINING_MARKS, JOINERS
from insta_kedro.text.words import HEBREW_QUOTE, is_spaceless, segmented

logger = logging.getLogger(__name__)

# A hashtag (kept with its '#') or a word of 2+ letters/digits, in any script, with its
# combining marks (दिवस is one token), the zero-width (non-)joiners within it (Persian
# کتاب‌ها, #قورمه‌سبزی: one token each, as ``extract_hashtags`` reads the tag) and a Hebrew
# gershayim or geresh between Hebrew letters (צה"ל, ג׳ירפה: ``text.words.HEBREW_QUOTE``).
_PIECE = rf"\w[\w{COMBINING_MARKS}]*"
_INSIDE = rf"(?:[{JOINERS}]+|{HEBREW_QUOTE})"
TOKEN_PATTERN = rf"#?\w(?:[\w{COMBINING_MARKS}]+(?:{_INSIDE}{_PIECE})*|(?:{_INSIDE}{_PIECE})+)"
_TOKEN = re.compile(TOKEN_PATTERN)
# The same tokens of a text without a joiner or a Hebrew quote inside a word, found faster
# (``re`` repeats one class quickly).
_TOKEN_WITHOUT_JOINERS = re.compile(rf"#?\w[\w{COMBINING_MARKS}]+")
# Whether a text may have a Hebrew quote inside a word (a fast test, ahead of the pattern).
_HEBREW_QUOTED = re.compile("[\u0590-\u05ff][\"'’\u05f3\u05f4][\u05d0-\u05ea]")


def topic_tokens(text: str) -> list[str]:
    """The vectorizer's tokens of a (lower-cased) text: the matches of :data:`TOKEN_PATTERN`,
    a word of a script written without spaces (Chinese, Japanese, Thai) split into its words
    of 2+ characters (``text.words.segmented``); a hashtag stays whole."""
    whole = "\u200c" in text or "\u200d" in text or _has_hebrew_quote(text)
    tokens = (_TOKEN if whole else _TOKEN_WITHOUT_JOINERS).findall(text)
    if not is_spaceless(text):
        return tokens
    return [
        piece
        for token in tokens
        for piece in (segmented(token) if token[0] != "#" and is_spaceless(token) else (token,))
        if len(piece) > 1
    ]


def _has_hebrew_quote(text: str) -> bool:
    """Whether ``text`` has a gershayim or geresh between Hebrew letters."""
    return not text.isascii() and _HEBREW_QUOTED.search(text) is not None


# ``stop_words`` that leaves out each caption's own language's stop words.
CAPTION_LANGUAGE = "caption_language"


def topic_terms(text: str, language: str) -> list[str]:
    """The vectorizer's terms of a caption's :func:`_text` written in ``language`` (a code of
    the language detector, ``"und"`` when unknown): its lower-cased :func:`topic_tokens`,
    the words of Arabic and Hebrew script without their marks and tatweel
    (``text.common_words.folded``), but for the stop words of that language and Japanese
    particles and endings (``text.common_words.is_stop_word``); hashtags are all kept as
    written (no stop word starts with '#')."""
    stop = stop_words(language)
    tokens = topic_tokens(text.lower())
    if has_abjad(text):
        tokens = [token if token[0] == "#" else folded(token) for token in tokens]
    return [token for token in tokens if not is_stop_word(token, stop)]


def _given(terms: list[str]) -> list[str]:
    """The vectorizer's analyzer of documents already read into terms (:func:`topic_terms`)."""
    return terms


@dataclass
class CaptionTopicModel:
    """Fitted TF-IDF vectorizer and SVD (both None when there was nothing to fit).

    ``language``: the language detector's settings (``text.detect_languages``' keywords),
    when the captions' words are read without the stop words of their own language
    (:func:`topic_terms`); None when the vectorizer reads captions with one stop-word list.
    """

    n_topics: int
    vectorizer: TfidfVectorizer | None = None
    svd: TruncatedSVD | None = None
    language: dict[str, Any] | None = None

    def transform(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Topic vectors, shape (len(texts), n_topics), float32; zero rows for empty texts.

        ``languages``: each text's language as ``text.detect_languages`` gives it, for a
        model that reads each caption in its language; detected here when None."""
        topics = np.zeros((len(texts), self.n_topics), dtype=np.float32)
        if self.vectorizer is None or self.svd is None or len(texts) == 0:
            return topics
        contents = [_text(t) for t in texts]
        if self.language is None:
            documents: list = contents
        else:
            if languages is None:
                languages = caption_languages(texts, self.language)
            documents = [
                topic_terms(text, language)
                for text, language in zip(contents, languages, strict=True)
            ]
        reduced = self.svd.transform(self.vectorizer.transform(documents))
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


def caption_languages(captions: Sequence[object], settings: Mapping[str, Any]) -> list[str]:
    """The language of each caption (``text.detect_languages`` with ``settings``, on its plain
    text as ``post_text_features`` reads it; ``"und"`` for a missing one)."""
    plains = [plain_text(unstyled(c)) if isinstance(c, str) else "" for c in captions]
    return detect_languages(plains, **settings)


def _text(value: object) -> str:
    """A caption as the vectorizer reads it (:func:`content_text`: styled letters read
    plainly, without credits, web addresses and contractions), ``""`` when missing."""
    return content_text(value) if isinstance(value, str) else ""


def _documents(texts: Sequence[str], settings: Mapping[str, Any] | None) -> list:
    """What the vectorizer fits on: the :func:`_text` of each caption with words, or, with
    the language detector's ``settings``, its :func:`topic_terms` in its detected language."""
    read = [(text, content) for text in texts if (content := _text(text)).strip()]
    if settings is None:
        return [content for _, content in read]
    languages = caption_languages([text for text, _ in read], settings)
    return [
        topic_terms(content, found) for (_, content), found in zip(read, languages, strict=True)
    ]


def fit_topic_model(
    texts: Sequence[str],
    n_topics: int = 16,
    min_df: int = 2,
    max_df: float = 0.5,
    max_features: int = 20000,
    stop_words: str | list[str] | None = CAPTION_LANGUAGE,
    seed: int = 42,
    language: Mapping[str, Any] | None = None,
) -> CaptionTopicModel:
    """Fit TF-IDF (sublinear tf, ``min_df``/``max_df`` pruning) and a TruncatedSVD on ``texts``.

    ``stop_words``: ``"caption_language"`` (each caption without the stop words of its own
    language, :func:`topic_terms`), scikit-learn's ``"english"`` list, a list of words, or
    None. ``language``: the language detector's settings (``text.detect_languages``'
    keywords; its defaults when None), kept by the model for the captions it transforms.
    """
    settings = dict(language or {}) if stop_words == CAPTION_LANGUAGE else None
    documents = _documents(texts, settings)
    vectorizer = TfidfVectorizer(
        tokenizer=topic_tokens if settings is None else None,
        analyzer="word" if settings is None else _given,
        token_pattern=None,
        lowercase=True,
        sublinear_tf=True,
        min_df=min_df if len(documents) >= 10 * min_df else 1,
        max_df=max_df if len(documents) >= 20 else 1.0,
        max_features=max_features,
        stop_words=None if settings is not None else stop_words,
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
    return CaptionTopicModel(n_topics, vectorizer, svd, settings)
