"""Nodes of the text_features pipeline: the topic model and the interest classifier, then
``post_text_features``.

Each node takes ``params:text_features`` as a ``text.TextFeaturesParams``, which Kedro
validates before any node runs, and calls ``insta_kedro.text`` with plain values. The table
itself is built by ``insta_kedro.text.post_features.build_post_text_features`` (shared with
``insta_kedro.personas.assignment``, which describes new posts the same way).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import engine, text

__all__ = ["build_post_text_features", "fit_caption_topics", "fit_post_interest_classifier"]


def fit_caption_topics(
    posts: pd.DataFrame, params: text.TextFeaturesParams
) -> text.CaptionTopicModel:
    """TF-IDF → TruncatedSVD fitted on the posts' own captions."""
    return text.fit_topic_model(
        posts["caption"].fillna("").tolist(),
        **params.topics.model_dump(),
        language=params.language.model_dump(),
    )


def fit_post_interest_classifier(
    posts: pd.DataFrame, interest_lexicon: dict[str, list[str]], params: text.TextFeaturesParams
) -> text.InterestClassifier:
    """The interest classifier, trained on the own captions the lexicon labels with confidence."""
    lexicon = text.InterestLexicon.from_config(
        interest_lexicon, **params.interests.model_dump(), language=params.language.model_dump()
    )
    scoring = {"weight", "min_probability"}  # used when scoring, not fitting
    settings = params.interest_classifier.model_dump(exclude=scoring)
    return text.fit_interest_classifier(posts["caption"].fillna("").tolist(), lexicon, **settings)


def build_post_text_features(
    posts: pd.DataFrame,
    generated_captions: pd.DataFrame,
    caption_topic_model: text.CaptionTopicModel,
    interest_lexicon: dict[str, list[str]],
    params: text.TextFeaturesParams,
    interest_classifier: text.InterestClassifier | None,
    engine_params: engine.EngineParams,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``post_text_features`` (post_id + numeric ``own_…``/``gen_…`` columns) and
    ``text_features_report`` (``text.build_post_text_features``); ``interest_classifier``:
    None scores with the lexicon alone; ``engine_params``: ``params:engine``, where the
    captions are read."""
    return text.build_post_text_features(
        posts,
        generated_captions,
        caption_topic_model,
        interest_lexicon,
        params.model_dump(),
        interest_classifier,
        engine_params.engine("text_features"),
    )
