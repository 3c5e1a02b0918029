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

from insta_kedro.fusion.people import add_person_interests, person_slices, topic_mix
from insta_kedro.text import OTHER, InterestLexicon
from insta_kedro.vision import joined_encoders

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
    min_evidence: float = 0.0,
) -> pd.DataFrame:
    """One row per profile with posts, from its posts alone (before the profile's own evidence).

    Takes ``posts``, ``profiles`` (for ``followers``), ``post_features`` (``feature``,
    ``interest_<category>``, ``confidence_interests``, ``image_encoder``) and
    ``post_text_features`` (the ``own_…`` caption columns). Returns the columns ``profile``,
    ``feature`` (mean fused vector, float32), ``n_posts``, ``interest_<category>`` (the posts'
    shares, each post's weighted by ``confidence_interests``; a person whose posts' evidence
    adds up to less than ``min_evidence`` has the rest of it as ``other``, unknown),
    ``top_interest`` (``""`` without any interest), ``posts_with_interest_share``,
    ``posts_per_week`` (posts over the span between the first and last post, at least one
    week), ``followers``, ``likes_per_post``, ``comments_per_post``, ``engagement_rate`` (mean
    likes / followers, NaN when either is unknown), ``caption_share``,
    ``mean_caption_length``, ``hashtags_per_post``, ``english_share``, ``mean_sentiment`` (the
    last three over captioned posts), ``carousel_share``, ``video_share`` and
    ``image_encoder`` (the encoders of the posts' image features, :func:`person_encoders`),
    in the order of the profiles' names. A profile without posts gets no row (logged).
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
    people = person_slices(frame["profile"])
    frame = frame.iloc[people.order]  # each person's posts one after the other
    names, starts, n_posts = people.names, people.starts, people.counts
    person = np.repeat(np.arange(len(names)), n_posts)

    # each post's interests × their strength, in place (a post without any adds nothing)
    weighted = frame[[f"interest_{c}" for c in categories]].to_numpy(float)
    with_interest = weighted.sum(axis=1) > 0
    weighted *= frame["confidence_interests"].fillna(0.0).to_numpy(float)[:, None]
    weighted[~with_interest] = 0.0
    sums = np.add.reduceat(weighted, starts) if len(starts) else weighted[:0]
    distribution = evidence_shares(sums, min_evidence, categories)

    taken = pd.to_datetime(frame["taken_at"], utc=True).groupby(person)
    span = (taken.max() - taken.min()).dt.total_seconds()
    weeks = np.maximum(span.fillna(0.0).to_numpy() / 604800, 1.0)

    captioned = (frame["own_present"].fillna(0) > 0).to_numpy()
    per_person = (
        pd.DataFrame(
            {
                "likes": known_counts(frame["likes"]).to_numpy(),
                "comments": known_counts(frame["comments"]).to_numpy(),
                "hashtags": frame["own_hashtag_count"].fillna(0).to_numpy(float),
                "captioned": captioned,
                "carousel": (frame["typename"] == "GraphSidecar").to_numpy(),
                "video": frame["is_video"].eq(True).to_numpy(),
                "with_interest": with_interest,
            }
        )
        .groupby(person)
        .mean()
    )
    over_captions = (
        frame.loc[captioned, ["own_length", "own_is_english", "own_sentiment"]]
        .astype(float)
        .groupby(person[captioned])
        .mean()
        .reindex(range(len(names)), fill_value=0.0)
    )
    mean_likes = per_person["likes"].to_numpy()
    n_followers = followers.reindex(names).to_numpy(float)
    return pd.DataFrame(
        {
            "profile": names.astype(object),
            "feature": _mean_vectors(frame["feature"], starts, n_posts),
            "n_posts": n_posts,
            **{f"interest_{c}": distribution[:, i] for i, c in enumerate(categories)},
            "top_interest": [
                categories[int(np.argmax(row))] if row.sum() > 0 else "" for row in distribution
            ],
            "posts_with_interest_share": per_person["with_interest"].to_numpy(float),
            "posts_per_week": n_posts / weeks,
            "followers": n_followers,
            "likes_per_post": mean_likes,
            "comments_per_post": per_person["comments"].to_numpy(),
            "engagement_rate": np.divide(
                mean_likes,
                n_followers,
                out=np.full(len(names), np.nan),
                where=n_followers > 0,
            ),
            "caption_share": per_person["captioned"].to_numpy(float),
            "mean_caption_length": over_captions["own_length"].to_numpy(),
            "hashtags_per_post": per_person["hashtags"].to_numpy(),
            "english_share": over_captions["own_is_english"].to_numpy(),
            "mean_sentiment": over_captions["own_sentiment"].to_numpy(),
            "carousel_share": per_person["carousel"].to_numpy(float),
            "video_share": per_person["video"].to_numpy(float),
            "image_encoder": person_encoders(frame.get("image_encoder"), starts, n_posts),
        }
    )


def person_encoders(
    encoders: pd.Series | None, starts: np.ndarray, counts: np.ndarray
) -> list[str | None]:
    """Each person's image encoders: the distinct ``image_encoder`` names of their posts
    (the ``counts`` rows from ``starts``), joined by commas; None for a person without an
    image feature, and for everyone without that column (``post_features`` of an older run).
    """
    if encoders is None:
        return [None] * len(starts)
    values = encoders.to_numpy(dtype=object)
    return [
        joined_encoders(values[start : start + count])
        for start, count in zip(starts, counts, strict=True)
    ]


def evidence_shares(evidence: np.ndarray, min_evidence: float, categories: list[str]) -> np.ndarray:
    """Rows of interest evidence as shares: each row divided by its total, or by
    ``min_evidence`` when the total is smaller, the rest going to ``other`` (when it is one of
    ``categories``): evidence worth less than ``min_evidence`` says that little of a person.
    Rows without evidence stay 0."""
    totals = evidence.sum(axis=1)
    divisor = np.maximum(totals, min_evidence)
    distribution = np.divide(
        evidence, divisor[:, None], out=np.zeros_like(evidence), where=totals[:, None] > 0
    )
    if OTHER in categories:
        unknown = np.where(totals > 0, 1.0 - distribution.sum(axis=1), 0.0)
        distribution[:, categories.index(OTHER)] += np.clip(unknown, 0.0, 1.0)
    return distribution


def _mean_vectors(vectors: pd.Series, starts: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Each person's mean of their posts' vectors (float32; a post without one is left out, a
    person without any gets an empty vector); a person's posts are the ``counts`` rows from
    ``starts``. One person's vectors are stacked at a time, so no matrix of all of them is
    held."""
    values = vectors.to_numpy(dtype=object)
    means = []
    for start, count in zip(starts, counts, strict=True):
        mine = [
            np.asarray(v, np.float32)
            for v in values[start : start + count]
            if v is not None and np.ndim(v) == 1
        ]
        means.append(np.mean(mine, axis=0).astype(np.float32) if mine else np.zeros(0, np.float32))
    return means


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
    min_interest_evidence: float = 0.0,
) -> pd.DataFrame:
    """``user_features``: the :func:`user_rows` (``min_interest_evidence``: their
    ``min_evidence``) with the interests blended with the
    profile's own evidence, ``top_interest`` and ``persona_feature``.

    ``profile_categories``: Instagram category name → interest category; the mapped category
    takes ``profile_category_weight`` of the interest distribution and the biography (scored
    by ``lexicon``) ``biography_weight`` (:func:`insta_kedro.fusion.people.blend_interests`).
    ``persona_feature`` is the vector the persona clustering groups people by: interests
    raised to ``interest_sharpening``, the mean topic mix of the own captions and the
    posting style, weighted by ``persona_weights`` (``interests``, ``topics``, ``style``;
    :func:`insta_kedro.fusion.people.persona_vectors`). Without any post, the frame has
    those columns and no row.
    """
    users = user_rows(posts, profiles, post_features, post_text_features, min_interest_evidence)
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
