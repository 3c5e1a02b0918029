"""The ``user_features`` table: one row per person with posts.

- :func:`user_rows`: what a person's posts say: the mean fused vector, the posts' interest
  distribution, and the posting behaviour (rate, engagement, captions, carousels, videos).
- :func:`build_user_features`: those rows with the interests blended with the profile's own
  evidence, ``top_interest`` and ``persona_feature`` (``insta_kedro.fusion.people``).
- :func:`known_counts`: likes, comments and followers as floats, NaN where unknown.
"""

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from insta_kedro.fusion.people import add_person_interests, topic_mix
from insta_kedro.text import InterestLexicon, shares

logger = logging.getLogger(__name__)

OWN_TEXT_COLUMNS = (
    "post_id",
    "own_present",
    "own_length",
    "own_hashtag_count",
    "own_is_english",
    "own_sentiment",
)


def known_counts(counts: pd.Series) -> pd.Series:
    """Counts (likes, comments, followers) as float64, NaN where unknown (hidden or absent)."""
    return pd.to_numeric(counts, errors="coerce").astype("Float64").astype(float)


def user_rows(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    post_features: pd.DataFrame,
    post_text_features: pd.DataFrame,
) -> pd.DataFrame:
    """One row per profile with posts, from its posts alone (before the profile's own evidence).

    Takes ``posts``, ``profiles`` (for ``followers``), ``post_features`` (``feature``,
    ``interest_<category>``, ``confidence_interests``) and ``post_text_features`` (the
    ``own_…`` caption columns). Returns the columns ``profile``, ``feature`` (mean fused
    vector, float32), ``n_posts``, ``interest_<category>`` (the posts' shares, each post's
    weighted by ``confidence_interests``), ``top_interest`` (``""`` without any interest),
    ``posts_with_interest_share``, ``posts_per_week`` (posts over the span between the first
    and last post, at least one week), ``followers``, ``likes_per_post``,
    ``comments_per_post``, ``engagement_rate`` (mean likes / followers, NaN when either is
    unknown), ``caption_share``, ``mean_caption_length``, ``hashtags_per_post``,
    ``english_share``, ``mean_sentiment`` (the last three over captioned posts),
    ``carousel_share`` and ``video_share``. A profile without posts gets no row (logged).
    """
    categories = [c.removeprefix("interest_") for c in post_features if c.startswith("interest_")]
    frame = (
        posts[["post_id", "profile", "taken_at", "likes", "comments", "typename", "is_video"]]
        .merge(post_features.drop(columns="profile"), on="post_id", how="left")
        .merge(post_text_features[list(OWN_TEXT_COLUMNS)], on="post_id", how="left")
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


def build_user_features(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    post_features: pd.DataFrame,
    post_text_features: pd.DataFrame,
    lexicon: InterestLexicon,
    profile_categories: Mapping[str, str] | None,
    profile_category_weight: float,
    biography_weight: float,
    persona_weights: Mapping[str, float],
    interest_sharpening: float,
) -> pd.DataFrame:
    """``user_features``: the :func:`user_rows` with the interests blended with the
    profile's own evidence, ``top_interest`` and ``persona_feature``.

    ``profile_categories``: Instagram category name → interest category; the mapped category
    takes ``profile_category_weight`` of the interest distribution and the biography (scored
    by ``lexicon``) ``biography_weight`` (:func:`insta_kedro.fusion.people.blend_interests`).
    ``persona_feature`` is the vector the persona clustering groups people by: interests
    raised to ``interest_sharpening``, the mean topic mix of the own captions and the
    posting style, weighted by ``persona_weights`` (``interests``, ``topics``, ``style``;
    :func:`insta_kedro.fusion.people.persona_vectors`). Returns the empty frame when no
    profile has posts.
    """
    users = user_rows(posts, profiles, post_features, post_text_features)
    if users.empty:
        return users
    return add_person_interests(
        users,
        profiles,
        lexicon,
        profile_categories,
        profile_category_weight,
        biography_weight,
        topic_mix(posts, post_text_features, users["profile"]),
        persona_weights,
        interest_sharpening,
    )
