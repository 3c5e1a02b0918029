"""Nodes of the fusion pipeline: post and user features, and the theme-separation ablation.

The blocks, their confidences and the fusion itself are in ``insta_kedro.fusion.posts``
(shared with ``insta_kedro.personas.assignment``, which fuses new posts the same way).
A block whose input is missing (no image features, no generated captions) is dropped with
a logged notice and the reason in ``fusion_report``.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from insta_kedro.fusion import (
    FusionModel,
    add_person_interests,
    fuse_posts,
    interest_evidence,
    profile_interests,
    separation_scores,
    topic_mix,
)
from insta_kedro.text import CaptionTopicModel, InterestClassifier, InterestLexicon, shares

logger = logging.getLogger(__name__)


def build_post_features_and_model(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: pd.DataFrame,
    image_labels: pd.DataFrame,
    imagenet_categories: dict[str, Any],
    caption_topic_model: CaptionTopicModel,
    interest_lexicon: dict[str, Any],
    params: dict[str, Any],
    text_params: dict[str, Any],
    interest_classifier: InterestClassifier | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], FusionModel]:
    """``post_features``, the fusion summary, and ``fusion_model``: what fuses a new post the
    same way.

    The model also carries text_features' topic model, lexicon and parameters, so a new
    caption gets its text features from the same functions (``insta_kedro.personas.assignment``).
    """
    post_features, summary, model = fuse_posts(
        posts, post_text_features, image_features, image_labels, imagenet_categories, params
    )
    model.caption_topic_model = caption_topic_model
    model.interest_classifier = interest_classifier
    model.interest_lexicon = interest_lexicon
    model.text_params = text_params
    return post_features, summary, model


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
    """Per profile with posts: mean fused vector, interest distribution, posting behaviour
    and ``persona_feature``, the vector the persona clustering groups people by.

    The interest distribution blends the posts' (each post's shares × the strength of its
    evidence, ``confidence_interests``) with
    the profile's mapped category and biography (``fusion.person``); ``posts_per_week`` is
    posts over the span between the first and last post (at least one week);
    ``engagement_rate`` is mean likes / followers (NaN when either is unknown).
    """
    users = _user_rows(posts, profiles, post_features, post_text_features)
    if users.empty:
        return users
    settings = params["person"]
    lexicon = InterestLexicon.from_config(interest_lexicon, **text_params["interests"])
    return add_person_interests(
        users,
        profiles,
        lexicon,
        profile_categories,
        settings["profile_category_weight"],
        settings["biography_weight"],
        topic_mix(posts, post_text_features, users["profile"]),
        settings["persona_weights"],
        settings["interest_sharpening"],
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
    and profile category behind it (``insta_kedro.fusion.people.interest_evidence``)."""
    lexicon = InterestLexicon.from_config(interest_lexicon, **text_params["interests"])
    _, _, mapped = profile_interests(profiles, lexicon, profile_categories)
    raw = profiles.drop_duplicates("profile").set_index("profile").get("category")
    by_profile = {
        profile: (raw.get(profile) if raw is not None else None, interest)
        for profile, interest in mapped.items()
    }
    return interest_evidence(
        posts,
        lexicon,
        image_labels,
        imagenet_categories,
        by_profile,
        params["person"]["evidence_top_n"],
    )


def _user_rows(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    post_features: pd.DataFrame,
    post_text_features: pd.DataFrame,
) -> pd.DataFrame:
    """The per-profile rows of :func:`build_user_features` before the profile's own evidence."""
    categories = [c.removeprefix("interest_") for c in post_features if c.startswith("interest_")]
    frame = (
        posts[["post_id", "profile", "taken_at", "likes", "comments", "typename", "is_video"]]
        .merge(post_features.drop(columns="profile"), on="post_id", how="left")
        .merge(
            post_text_features[
                [
                    "post_id",
                    "own_present",
                    "own_length",
                    "own_hashtag_count",
                    "own_is_english",
                    "own_sentiment",
                ]
            ],
            on="post_id",
            how="left",
        )
    )
    followers = known_counts(profiles.drop_duplicates("profile").set_index("profile")["followers"])
    without_posts = sorted(set(profiles["profile"]) - set(posts["profile"]))
    if without_posts:
        logger.info(
            "user_features: %d profiles have no posts, so no row: %s",
            len(without_posts),
            ", ".join(without_posts),
        )
    rows = []
    for profile, group in frame.groupby("profile", sort=True):
        vectors = [np.asarray(v, np.float32) for v in group["feature"] if v is not None]
        mean_vector = np.mean(vectors, axis=0) if vectors else np.zeros(0, np.float32)
        interest = group[[f"interest_{c}" for c in categories]].to_numpy(float)
        with_interest = interest.sum(axis=1) > 0
        strength = group["confidence_interests"].fillna(0.0).to_numpy(float)[:, None]
        distribution = (
            shares((interest * strength)[with_interest].sum(axis=0, keepdims=True))[0]
            if categories
            else np.zeros(0)
        )
        taken = pd.to_datetime(group["taken_at"], utc=True).dropna()
        weeks = (
            max((taken.max() - taken.min()).total_seconds() / 604800, 1.0) if len(taken) else 1.0
        )
        mean_likes = known_counts(group["likes"]).mean()
        n_followers = followers.get(profile, np.nan)
        captioned = group["own_present"].fillna(0) > 0
        rows.append(
            {
                "profile": profile,
                "feature": mean_vector.astype(np.float32),
                "n_posts": len(group),
                **{
                    f"interest_{c}": float(v) for c, v in zip(categories, distribution, strict=True)
                },
                "top_interest": categories[int(np.argmax(distribution))]
                if categories and distribution.sum() > 0
                else "",
                "posts_with_interest_share": float(with_interest.mean()),
                "posts_per_week": len(group) / weeks,
                "followers": n_followers,
                "likes_per_post": mean_likes,
                "comments_per_post": known_counts(group["comments"]).mean(),
                "engagement_rate": mean_likes / n_followers
                if pd.notna(mean_likes) and pd.notna(n_followers) and n_followers > 0
                else np.nan,
                "caption_share": float(captioned.mean()),
                "mean_caption_length": float(group.loc[captioned, "own_length"].mean())
                if captioned.any()
                else 0.0,
                "hashtags_per_post": float(group["own_hashtag_count"].fillna(0).mean()),
                "english_share": float(group.loc[captioned, "own_is_english"].mean())
                if captioned.any()
                else 0.0,
                "mean_sentiment": float(group.loc[captioned, "own_sentiment"].mean())
                if captioned.any()
                else 0.0,
                "carousel_share": float((group["typename"] == "GraphSidecar").mean()),
                "video_share": float(group["is_video"].fillna(False).astype(bool).mean()),
            }
        )
    return pd.DataFrame(rows)


def known_counts(counts: pd.Series) -> pd.Series:
    """Counts (likes, comments, followers) as float64, NaN where unknown (hidden or absent)."""
    return pd.to_numeric(counts, errors="coerce").astype("Float64").astype(float)


def evaluate_theme_separation(
    post_features: pd.DataFrame,
    fusion_blocks: dict[str, Any],
    demo_themes: dict[str, Any],
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ablation on the demo ground truth: each block alone vs the fused vector.

    Returns ``fusion_report`` and the metrics for MLflow (``{name: {value, step}}``).
    """
    settings = params["ablation"]
    report: dict[str, Any] = {**fusion_blocks, "ablation": {}}
    truth = (demo_themes or {}).get("posts") or {}
    labelled = post_features[post_features["post_id"].isin(truth)]
    if labelled.empty:
        report["ablation"] = {
            "ground_truth_posts": 0,
            "note": "no demo ground truth (real data): ablation not run",
        }
        return report, {}
    if len(labelled) > settings["max_posts"]:
        labelled = labelled.sample(settings["max_posts"], random_state=params["seed"])
    labels = labelled["post_id"].map(truth).to_numpy()
    vectors = np.stack(labelled["feature"].map(lambda v: np.asarray(v, np.float32)).tolist())
    scores = {
        name: separation_scores(vectors[:, slice(*block["columns"])], labels, settings["k"])
        for name, block in fusion_blocks["blocks"].items()
        if block["used"]
    }
    fused = separation_scores(vectors, labels, settings["k"])
    single = {n: s for n, s in scores.items() if s["knn_accuracy"] is not None}
    if not single or fused["knn_accuracy"] is None:
        report["ablation"] = {
            "ground_truth_posts": len(labelled),
            "blocks": scores,
            "fused": fused,
            "note": "no block separates anything: "
            "too few themes, posts or features for the ablation",
        }
        return report, {}
    best = max(single, key=lambda n: (single[n]["knn_accuracy"], single[n]["silhouette"]))
    at_least_best = fused["knn_accuracy"] >= single[best]["knn_accuracy"]
    report["ablation"] = {
        "ground_truth_posts": len(labelled),
        "themes": sorted(set(labels.tolist())),
        "chance_knn_accuracy": round(float(max(pd.Series(labels).value_counts(normalize=True))), 4),
        "k": settings["k"],
        "metric": "cosine",
        "blocks": scores,
        "fused": fused,
        "best_single_block": best,
        "fusion_at_least_as_good_as_best_block": bool(at_least_best),
        "note": ablation_note(at_least_best, best, fusion_blocks),
    }
    metrics = {
        f"{name}.{metric}": {"value": float(value), "step": 0}
        for name, values in {**scores, "fused": fused}.items()
        for metric, value in values.items()
        if value is not None
    }
    return report, metrics


def ablation_note(at_least_best: bool, best: str, fusion_blocks: dict[str, Any]) -> str:
    """One sentence on the outcome, and on what the dropped blocks would add."""
    dropped = [n for n, b in fusion_blocks["blocks"].items() if not b["used"]]
    encoders = fusion_blocks.get("image_encoder") or []
    notes = [
        "Fusion separates themes at least as well as the best single block "
        f"({best}) by k-NN accuracy."
        if at_least_best
        else f"Fusion is below its best single block ({best}) by k-NN accuracy: lower the "
        "weights of the weaker blocks in fusion.block_weights."
    ]
    if dropped:
        notes.append(f"Blocks not available in this run: {', '.join(dropped)}.")
    if any("random" in e for e in encoders):
        notes.append(
            "Image features come from randomly initialized VGG16 weights: they carry "
            "no ImageNet semantics; pretrained weights would strengthen the image block."
        )
    return " ".join(notes)
