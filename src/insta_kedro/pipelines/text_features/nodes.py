"""Nodes of the text_features pipeline: the topic model, then ``post_text_features``.

The table itself is built by ``insta_kedro.post_text_features.build_post_text_features``
(shared with ``insta_kedro.persona_assignment``, which describes new posts the same way).
"""

from typing import Any

import pandas as pd

from insta_kedro.post_text_features import build_post_text_features
from insta_kedro.topic_model import CaptionTopicModel, fit_topic_model

__all__ = ["build_post_text_features", "fit_caption_topics"]


def fit_caption_topics(posts: pd.DataFrame, params: dict[str, Any]) -> CaptionTopicModel:
    """TF-IDF → TruncatedSVD fitted on the posts' own captions."""
    return fit_topic_model(posts["caption"].fillna("").tolist(), **params["topics"])
