"""Nodes of the fusion pipeline: post and user features, and the theme-separation ablation.

Each node takes ``params:fusion`` as a ``fusion.FusionParams`` and ``params:text_features`` as
a ``text.TextFeaturesParams`` (Kedro validates both before any node runs), unpacks them and
calls ``insta_kedro.fusion`` with plain values: the blocks, their confidences and the fusion
in ``fusion.posts`` (shared with ``insta_kedro.personas.assignment``, which fuses new posts
the same way), the people in ``fusion.users`` and ``fusion.people``, the ablation in
``fusion.theme_separation``. A block whose input is missing (no image features, no generated
captions) is dropped with a logged notice and the reason in ``fusion_report``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import engine, fusion, text


def _lexicon(
    interest_lexicon: dict[str, Any], text_params: text.TextFeaturesParams
) -> text.InterestLexicon:
    """The interest lexicon as text_features reads it (its interests and language settings)."""
    return text.InterestLexicon.from_config(
        interest_lexicon,
        **text_params.interests.model_dump(),
        language=text_params.language.model_dump(),
    )


def build_post_features_and_model(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: engine.Table,
    image_labels: pd.DataFrame,
    imagenet_categories: dict[str, Any],
    caption_topic_model: text.CaptionTopicModel,
    interest_lexicon: dict[str, Any],
    params: fusion.FusionParams,
    text_params: text.TextFeaturesParams,
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
        params.model_dump(),
        caption_topic_model,
        interest_lexicon,
        text_params.model_dump(),
        interest_classifier,
    )


def build_user_features(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    post_features: pd.DataFrame,
    post_text_features: pd.DataFrame,
    interest_lexicon: dict[str, Any],
    profile_categories: dict[str, str],
    params: fusion.FusionParams,
    text_params: text.TextFeaturesParams,
) -> pd.DataFrame:
    """``user_features``: per profile with posts, the mean fused vector, interest
    distribution, posting behaviour and ``persona_feature`` (``fusion.build_user_features``
    with ``fusion.person``'s weights)."""
    person = params.person
    return fusion.build_user_features(
        posts,
        profiles,
        post_features,
        post_text_features,
        _lexicon(interest_lexicon, text_params),
        profile_categories,
        profile_category_weight=person.profile_category_weight,
        biography_weight=person.biography_weight,
        persona_weights=person.persona_weights.model_dump(),
        interest_sharpening=person.interest_sharpening,
        min_interest_evidence=person.min_interest_evidence,
    )


def collect_interest_evidence(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    image_labels: pd.DataFrame,
    interest_lexicon: dict[str, Any],
    imagenet_categories: dict[str, Any],
    profile_categories: dict[str, str],
    params: fusion.FusionParams,
    text_params: text.TextFeaturesParams,
) -> dict[str, Any]:
    """``interest_evidence``: per profile and interest, the terms, hashtags, ImageNet labels
    and profile category behind it (``fusion.collect_interest_evidence``)."""
    return fusion.collect_interest_evidence(
        posts,
        profiles,
        image_labels,
        _lexicon(interest_lexicon, text_params),
        imagenet_categories,
        profile_categories,
        params.person.evidence_top_n,
    )


def evaluate_theme_separation(
    post_features: pd.DataFrame,
    fusion_blocks: dict[str, Any],
    demo_themes: dict[str, Any],
    params: fusion.FusionParams,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``fusion_report`` and the metrics for MLflow (``{name: {value, step}}``): each block
    alone vs the fused vector on the demo ground truth (``fusion.evaluate_theme_separation``).
    """
    return fusion.evaluate_theme_separation(
        post_features,
        fusion_blocks,
        demo_themes,
        k=params.ablation.k,
        max_posts=params.ablation.max_posts,
        seed=params.seed,
    )
