"""The ``text_features`` parameters (conf/base/parameters_text_features.yml) as types.

:class:`TextFeaturesParams` is what the text_features and fusion pipelines' nodes take for
``params:text_features``; Kedro validates the YAML against it before any node runs, and an
error names the bad setting (``text_features.topics.n_topics``). The domain functions of
this package take the same settings as plain values or dicts (``model_dump()``).
"""

from typing import Annotated, Literal

from pydantic import Field

from insta_kedro.kedro_ext.parameters import (
    Count,
    NonNegativeCount,
    Number,
    Section,
    Seed,
    Settings,
    Share,
    Weight,
    one_error,
)

DocumentFrequency = Annotated[
    Count | Share,
    one_error(
        "document_frequency",
        "Input should be a number of captions (an integer >= 1) "
        "or a share of them (a number in [0, 1])",
    ),
]
"""A document frequency bound of scikit-learn's ``TfidfVectorizer``: a number of captions
(an integer >= 1) or a share of them (a float in [0, 1])."""


class LanguageParams(Settings):
    """Language detection of a caption: ``min_letters`` (fewer letters: language ``und``,
    >= 0), ``min_probability`` (a lower detector probability: ``und``, in [0, 1]) and
    ``max_chars`` (characters read for language and sentiment, >= 1)."""

    min_letters: NonNegativeCount
    min_probability: Share
    max_chars: Count


class TopicParams(Settings):
    """The topic model (TF-IDF → TruncatedSVD): ``n_topics`` (columns, >= 1), ``min_df`` and
    ``max_df`` (:data:`DocumentFrequency`), ``max_features`` (>= 1, or null: every term),
    ``stop_words`` (``caption_language``, ``english``, a list of words, or null) and ``seed``
    (>= 0)."""

    n_topics: Count
    min_df: DocumentFrequency
    max_df: DocumentFrequency
    max_features: Count | None
    stop_words: Annotated[
        Literal["caption_language", "english"] | list[str] | None,
        one_error(
            "stop_words",
            "Input should be 'caption_language', 'english', a list of words, or null",
        ),
    ]
    seed: Seed


class NotThePostersParams(Settings):
    """Words about the poster's own life: those of ``categories`` (lexicon categories) are not
    read for them where a word of ``introduced_by`` precedes them within ``window`` (>= 1)
    words, or, with ``named_owners``, right after the possessive of a name or an account
    ("Sarah's mom", "@x's niece"), with no word of ``unless`` among the ``window`` words
    before them."""

    categories: list[str]
    introduced_by: list[str]
    unless: list[str]
    window: Count
    named_owners: bool


class InterestParams(Settings):
    """The interest lexicon's matching: ``min_segment_length`` (the shortest word of a split
    hashtag that is matched, >= 1), ``generic_zipf`` and ``max_weight`` (a term weighs
    ``generic_zipf`` − its Zipf frequency, within [0, ``max_weight``]), ``emoji_weight`` and
    ``mention_weight`` (a mentioned account's matches against a hashtag's),
    ``opening_weight`` (a caption's opening such as "when you"; weights >= 0) and
    ``not_the_posters`` (:class:`NotThePostersParams`)."""

    min_segment_length: Count
    generic_zipf: Number
    max_weight: Weight
    emoji_weight: Weight
    mention_weight: Weight
    opening_weight: Weight
    not_the_posters: NotThePostersParams


class InterestClassifierParams(Settings):
    """The interest classifier: its seed posts (``min_seed_weight`` >= 0, ``min_seed_share``
    in [0, 1], ``min_seeds`` >= 1), logistic regression's ``regularization`` (C, > 0),
    ``min_df`` (>= 1), ``seed`` (>= 0) and ``max_fit`` (the most captions seeds are looked for
    in, a seeded sample above it: >= 1, or null: every caption); and its scoring:
    probabilities of at least ``min_probability`` (in [0, 1]) add × ``weight`` (>= 0)."""

    min_seed_weight: Weight
    min_seed_share: Share
    min_seeds: Count
    regularization: Annotated[Number, Field(gt=0.0)]
    min_df: Count
    min_probability: Share
    weight: Weight
    seed: Seed
    max_fit: Count | None


class TextFeaturesParams(Section):
    """``params:text_features``: ``language`` (:class:`LanguageParams`), ``topics``
    (:class:`TopicParams`), ``interests`` (:class:`InterestParams`) and
    ``interest_classifier`` (:class:`InterestClassifierParams`)."""

    SECTION = "text_features"

    language: LanguageParams
    topics: TopicParams
    interests: InterestParams
    interest_classifier: InterestClassifierParams
