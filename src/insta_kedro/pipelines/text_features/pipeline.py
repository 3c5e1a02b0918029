"""The text_features pipeline: posts (+ generated captions) → post_text_features."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.text_features.nodes import (
    build_post_text_features,
    fit_caption_topics,
    fit_post_interest_classifier,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=fit_caption_topics,
                inputs=["posts", "params:text_features"],
                outputs="caption_topic_model",
                name="fit_caption_topics",
            ),
            Node(
                func=fit_post_interest_classifier,
                inputs=["posts", "interest_lexicon", "params:text_features"],
                outputs="interest_classifier",
                name="fit_interest_classifier",
            ),
            Node(
                func=build_post_text_features,
                inputs=[
                    "posts",
                    "generated_captions",
                    "caption_topic_model",
                    "interest_lexicon",
                    "params:text_features",
                    "interest_classifier",
                    "params:engine",
                ],
                outputs=["post_text_features", "text_features_report"],
                name="build_post_text_features",
            ),
        ],
        tags="text_features",
    )
