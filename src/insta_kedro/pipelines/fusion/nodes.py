"""Nodes of the fusion pipeline: post and user features, and the theme-separation ablation.

Each node unpacks its parameters and calls ``insta_kedro.fusion``: the blocks, their
confidences and the fusion in ``fusion.posts`` (shared with ``insta_kedro.personas.assignment``,
which fuses new posts the same way), the people in ``fusion.users`` and ``fusion.people``, the
ablation in ``fusion.theme_separation``. A block whose input is missing (no image features,
no generated captions) is dropped with a logged notice and the reason in ``fusion_report``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import fusion, text


def build_post_features_and_model(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: pd.DataFrame,
    image_labels: pd.DataFrame,
    imagenet_categories: dict[str, Any],
    caption_topic_model: text.CaptionTopicModel,
    interest_lexicon: dict[str, Any],
    params: dict[str, Any],
    text_params: dict[str, Any],
    interest_classifier: text.InterestClassifier | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], fusion.FusionModel]:
    """``post_features``, the fusion summary, and ``fusion_model``: what fuses a new post the
    same way (``fusion.build_post_features_and_model``)."""
    return fusion.build_post_features_and_model(
        posts,
        post_text_features,
        image_features,
        image_labels,
        imagenet_categories,
        params,
        caption_topic_model,
        interest_lexicon,
        text_params,
        interest_classifier,
    )


def build_user_features(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    post_features: pd.DataFrame,
    post_text_features: pd.DataFrame,
    interest_lexicon: dict[str, Any],
    profile_categories: dict[str, str],
    params: dict[str, Any],
    text_params: dict[str, Any],
) -> pd.DataFrame:
    """``user_features``: per profile with posts, the mean fused vector, interest
    distribution, posting behaviour and ``persona_feature`` (``fusion.build_user_features``
    with ``fusion.person``'s weights)."""
    settings = params["person"]
    return fusion.build_user_features(
        posts,
        profiles,
        post_features,
        post_text_features,
        text.InterestLexicon.from_config(interest_lexicon, **text_params["interests"]),
        profile_categories,
        profile_category_weight=settings["profile_category_weight"],
        biography_weight=settings["biography_weight"],
        persona_weights=settings["persona_weights"],
        interest_sharpening=settings["interest_sharpening"],
    )


def collect_interest_evidence(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    image_labels: pd.DataFrame,
    interest_lexicon: dict[str, Any],
    imagenet_categories: dict[str, Any],
    profile_categories: dict[str, str],
    params: dict[str, Any],
    text_params: dict[str, Any],
) -> dict[str, Any]:
    """``interest_evidence``: per profile and interest, the terms, hashtags, ImageNet labels
    and profile category behind it (``fusion.collect_interest_evidence``)."""
    return fusion.collect_interest_evidence(
        posts,
        profiles,
        image_labels,
        text.InterestLexicon.from_config(interest_lexicon, **text_params["interests"]),
        imagenet_categories,
        profile_categories,
        params["person"]["evidence_top_n"],
    )


def evaluate_theme_separation(
    post_features: pd.DataFrame,
    fusion_blocks: dict[str, Any],
    demo_themes: dict[str, Any],
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``fusion_report`` and the metrics for MLflow (``{name: {value, step}}``): each block
    alone vs the fused vector on the demo ground truth (``fusion.evaluate_theme_separation``).
    """
    settings = params["ablation"]
    return fusion.evaluate_theme_separation(
        post_features,
        fusion_blocks,
        demo_themes,
        k=settings["k"],
        max_posts=settings["max_posts"],
        seed=params["seed"],
    )
