"""The fusion pipeline: text + image features → post_features, user_features, fusion_report."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.fusion.nodes import (
    build_post_features_and_model,
    build_user_features,
    collect_interest_evidence,
    evaluate_theme_separation,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=build_post_features_and_model,
                inputs=[
                    "posts",
                    "post_text_features",
                    "image_features",
                    "image_labels",
                    "imagenet_categories",
                    "caption_topic_model",
                    "interest_lexicon",
                    "params:fusion",
                    "params:text_features",
                    "interest_classifier",
                ],
                outputs=["post_features", "fusion_blocks", "fusion_model"],
                name="build_post_features",
            ),
            Node(
                func=build_user_features,
                inputs=[
                    "posts",
                    "profiles",
                    "post_features",
                    "post_text_features",
                    "interest_lexicon",
                    "profile_categories",
                    "params:fusion",
                    "params:text_features",
                ],
                outputs="user_features",
                name="build_user_features",
            ),
            Node(
                func=collect_interest_evidence,
                inputs=[
                    "posts",
                    "profiles",
                    "image_labels",
                    "interest_lexicon",
                    "imagenet_categories",
                    "profile_categories",
                    "params:fusion",
                    "params:text_features",
                ],
                outputs="interest_evidence",
                name="collect_interest_evidence",
            ),
            Node(
                func=evaluate_theme_separation,
                inputs=["post_features", "fusion_blocks", "demo_themes", "params:fusion"],
                outputs=["fusion_report", "fusion_metrics"],
                name="evaluate_theme_separation",
            ),
        ],
        tags="fusion",
    )
