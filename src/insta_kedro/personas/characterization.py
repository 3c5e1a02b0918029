"""The characterization of one person, and of their circle among the downloaded accounts.

- ``interests``: the person's interest distribution (category → weight, descending, top).
- ``posting``: posts, posts per week, engagement rate, caption length, hashtags, carousel,
  video and caption shares (from ``user_features``).
- ``representative_posts``: the posts whose fused vectors are nearest (cosine) to the
  person's mean vector: the most typical of what they post.
- ``circle``: followers and followees that were downloaded too; their interest distribution
  (the mean of theirs), their persona-cluster mix, and the cosine similarity between the
  person's interest distribution and the circle's.

``user_characterizations`` puts these blocks together for every person, with the persona
(cluster and its label) and the evidence of their top interests.
"""

import logging
import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from insta_kedro.fusion import person_slices
from insta_kedro.personas.clustering import NOISE, stack_vectors
from insta_kedro.personas.description import NO_POSTS_LABEL, interest_columns
from insta_kedro.personas.inputs import check_features_describe_posts
from insta_kedro.vision import encoder_fields

logger = logging.getLogger(__name__)

POSTING_COLUMNS = (
    "posts_per_week",
    "engagement_rate",
    "mean_caption_length",
    "hashtags_per_post",
    "carousel_share",
    "video_share",
    "caption_share",
)


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, not a number, or infinite)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cosine similarity; None when either vector is zero or the sizes differ."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or not a.size:
        return None
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return None if norms <= 1e-12 else round(float(a @ b / norms), 4)


def interest_weights(
    distribution: Mapping[str, float], top_n: int = 5, min_weight: float = 0.0
) -> dict[str, float]:
    """Top categories with their weight, descending (categories with no weight left out)."""
    items = [(c, float(w)) for c, w in distribution.items() if pd.notna(w) and w > min_weight]
    items.sort(key=lambda item: (-item[1], item[0]))
    return {category: round(weight, 4) for category, weight in items[:top_n]}


def interest_support(
    interests: Mapping[str, float],
    evidence: Mapping[str, Mapping[str, Any]],
    n_posts: int,
    min_share: float,
    min_posts: int = 0,
) -> dict[str, Any] | None:
    """How much of a person's posting their top interest rests on: ``{interest, posts,
    share, profile_category, thin}``, or None without interests or posts.

    ``interests``: the person's interests, descending; ``evidence``: their
    ``interest_evidence`` (``posts``: posts with a term, hashtag, tagged account or photo
    label of the interest). ``posts`` of ``n_posts`` carry the top interest; it is ``thin``
    when that ``share`` is below ``min_share`` or there are fewer than ``min_posts`` of them
    (one or two posts say little of a person, whatever their share), unless the profile
    category names it.
    """
    if not interests or n_posts <= 0:
        return None
    top = next(iter(interests))
    behind = evidence.get(top) or {}
    posts = int(behind.get("posts") or 0)
    share = posts / n_posts
    by_profile = bool(behind.get("profile_category"))
    return {
        "interest": top,
        "posts": posts,
        "share": round(share, 4),
        "profile_category": by_profile,
        "thin": (share < min_share or posts < min_posts) and not by_profile,
    }


def posting_behaviour(user_row: Mapping[str, Any] | None, n_posts: int) -> dict[str, Any]:
    """The ``posting`` block; a person with no posts gets zeros (engagement unknown: None)."""
    posting: dict[str, Any] = {"posts": int(n_posts)}
    for column in POSTING_COLUMNS:
        value = _number((user_row or {}).get(column))
        posting[column] = value if column == "engagement_rate" else (value or 0.0)
    return posting


POST_COLUMNS = ("post_id", "image_path", "caption", "generated_caption")
"""The columns of a representative post."""


def newest_first(taken_at: pd.Series) -> np.ndarray:
    """Sort keys of post times, smallest for the newest post; unknown times largest."""
    if not pd.api.types.is_datetime64_any_dtype(taken_at):
        taken_at = pd.to_datetime(taken_at, utc=True, errors="coerce")
    stamps = taken_at.to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(stamps), np.iinfo(np.int64).max, -stamps.view(np.int64))


def nearest_posts(
    columns: Mapping[str, np.ndarray],
    age: np.ndarray,
    vectors: np.ndarray,
    person_vector: np.ndarray | None,
    top_n: int = 6,
) -> list[dict[str, Any]]:
    """:func:`representative_posts` of one person's posts given as arrays: ``columns`` (the
    :data:`POST_COLUMNS`), ``age`` (:func:`newest_first`) and ``vectors``."""
    similarity = np.zeros(len(age))
    if person_vector is not None and vectors.size and np.linalg.norm(person_vector) > 1e-12:
        norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(person_vector)
        similarity = np.divide(
            vectors @ person_vector, norms, out=np.zeros(len(age)), where=norms > 1e-12
        )
    # nearest first, then newest, then in order of appearance
    order = np.lexsort((np.arange(len(age)), age, -similarity))[:top_n]
    return [
        {
            "post_id": str(post_id),
            "image_path": image_path if isinstance(image_path, str) else None,
            "caption": caption if isinstance(caption, str) else "",
            "generated_caption": generated if isinstance(generated, str) else None,
        }
        for post_id, image_path, caption, generated in zip(
            *(columns[name][order] for name in POST_COLUMNS), strict=True
        )
    ]


def representative_posts(
    posts: pd.DataFrame, vectors: np.ndarray, person_vector: np.ndarray | None, top_n: int = 6
) -> list[dict[str, Any]]:
    """Up to ``top_n`` posts nearest (cosine) to the person's mean vector.

    ``posts`` (one person's) has ``post_id``, ``image_path``, ``caption``,
    ``generated_caption``, ``taken_at``; ``vectors`` are their fused vectors. Without vectors
    the newest posts are taken. Ties: newest first, then in the order of ``posts``; posts
    whose time is unknown last.
    """
    columns = {name: posts[name].to_numpy(dtype=object) for name in POST_COLUMNS}
    return nearest_posts(columns, newest_first(posts["taken_at"]), vectors, person_vector, top_n)


@dataclass(frozen=True)
class InterestTable:
    """People's interest distributions by name: built once for everyone, so that each
    person's circle is a look-up, not a search of the whole table."""

    categories: tuple[str, ...]
    matrix: np.ndarray
    row_of: Mapping[str, int]

    @classmethod
    def from_frame(cls, interests: pd.DataFrame) -> "InterestTable":
        """The table of ``interests`` (indexed by profile, one column per category)."""
        return cls(
            categories=tuple(interests.columns),
            matrix=interests.to_numpy(dtype=float),
            row_of={str(profile): row for row, profile in enumerate(interests.index)},
        )

    def of(self, profile: str) -> np.ndarray | None:
        """The person's distribution, or None when the person is not in the table."""
        row = self.row_of.get(profile)
        return None if row is None else self.matrix[row]

    def by_category(self, profile: str) -> dict[str, float]:
        """The person's distribution as category → weight; empty when the person is not in
        the table."""
        distribution = self.of(profile)
        if distribution is None:
            return {}
        return dict(zip(self.categories, distribution.tolist(), strict=True))


def circle_side(
    accounts: Sequence[str],
    interests: InterestTable,
    clusters: Mapping[str, int],
    person_interests: np.ndarray | None,
    top_n: int = 5,
    downloaded: Collection[str] = (),
) -> dict[str, Any]:
    """Summary of one side of the circle (followers or followees) among downloaded accounts.

    ``accounts``: the side's accounts, each once; ``interests``: people's interest
    distributions (:class:`InterestTable`, the people with posts); ``downloaded``: the other
    downloaded people (profiles without posts: private or empty). Returns ``n_listed`` (the
    accounts), ``n_downloaded`` (those downloaded), ``n_without_posts`` (downloaded, without
    posts: nothing to compare, in neither ``interests`` nor ``clusters``), ``interests`` (the
    mean of the distributions of those with interests), ``clusters`` (the share of each
    persona cluster among those with posts) and ``similarity`` (cosine between the person's
    interests and the side's; None when either is unknown).
    """
    rows = [interests.row_of.get(a) for a in accounts]
    with_posts = [row for row in rows if row is not None]
    without_posts = sum(
        row is None and account in downloaded for account, row in zip(accounts, rows, strict=True)
    )
    side: dict[str, Any] = {
        "n_listed": len(accounts),
        "n_downloaded": len(with_posts) + without_posts,
        "n_without_posts": without_posts,
        "interests": {},
        "clusters": {},
    }
    similarity = None
    if with_posts:
        values = interests.matrix[with_posts]
        values = values[values.sum(axis=1) > 0]
        if len(values):
            mean = values.mean(axis=0)
            mean = mean / mean.sum()
            by_category = dict(zip(interests.categories, mean, strict=True))
            side["interests"] = interest_weights(by_category, top_n)
            if person_interests is not None:
                similarity = cosine(person_interests, mean)
        mix = Counter(
            clusters.get(a, NOISE) for a, row in zip(accounts, rows, strict=True) if row is not None
        )
        side["clusters"] = {
            str(int(c)): round(count / len(with_posts), 4) for c, count in sorted(mix.items())
        }
    return {**side, "similarity": similarity}


@dataclass(frozen=True)
class FollowLists:
    """Who follows whom, by person: each person's followers and followees, each account once,
    in the order ``follows`` names them. Built once for everyone, so that each person's
    circle is a look-up, not a pass over every edge."""

    followers: Mapping[str, list[str]]
    followees: Mapping[str, list[str]]

    @property
    def empty(self) -> bool:
        """Whether nobody follows anybody."""
        return not self.followers and not self.followees

    @classmethod
    def from_frame(cls, follows: pd.DataFrame) -> "FollowLists":
        """The lists of ``follows`` (``follower``, ``followee``)."""

        def lists(key: str, other: str) -> dict[str, list[str]]:
            return {
                str(person): list(dict.fromkeys(group[other]))
                for person, group in follows.groupby(key, sort=False)
            }

        return cls(followers=lists("followee", "follower"), followees=lists("follower", "followee"))


def circle_summary(
    profile: str,
    follows: pd.DataFrame | FollowLists,
    interests: pd.DataFrame | InterestTable,
    clusters: Mapping[str, int],
    top_n: int = 5,
    lists_known: Mapping[str, bool] | None = None,
    downloaded: Collection[str] = (),
    reported: Mapping[str, int] | None = None,
) -> dict[str, Any] | None:
    """The ``circle`` block (each side as :func:`circle_side`); None when ``follows`` has no
    data at all and neither of the person's own lists is known.

    ``lists_known`` (``{"followers": bool, "followees": bool}``, from the profile's
    ``followers_known`` / ``followees_known``) says whether the person's own lists were
    downloaded; each side repeats it as ``list_known`` (None when not given). A side whose
    list is not known holds only the edges that other people's lists name; a known list may
    be empty. ``follows`` is the ``follows`` table or its :class:`FollowLists`, ``interests``
    (people's interest distributions, indexed by profile) the frame or its
    :class:`InterestTable`; ``downloaded`` the downloaded people besides those of
    ``interests`` (profiles without posts). ``reported`` (``{"followers": int, "followees":
    int}``, the counts the person's profile shows) gives each side's ``n_reported`` (None when
    not given): a list that names fewer (cut at ``ingestion.max_follows``, or given in part by
    Instagram) holds only part of the person's circle."""
    if isinstance(follows, pd.DataFrame):
        follows = FollowLists.from_frame(follows)
    if follows.empty and not any((lists_known or {}).values()):
        return None
    if isinstance(interests, pd.DataFrame):
        interests = InterestTable.from_frame(interests)
    person = interests.of(profile)
    if person is not None and person.sum() <= 0:
        person = None
    sides = {
        name: circle_side(accounts.get(profile, []), interests, clusters, person, top_n, downloaded)
        for name, accounts in (("followers", follows.followers), ("followees", follows.followees))
    }
    for name, side in sides.items():
        side["n_reported"] = (reported or {}).get(name)
        side["list_known"] = (lists_known or {}).get(name)
    return {
        "followers": {k: v for k, v in sides["followers"].items() if k != "similarity"},
        "followees": {k: v for k, v in sides["followees"].items() if k != "similarity"},
        "similarity_to_followers": sides["followers"]["similarity"],
        "similarity_to_followees": sides["followees"]["similarity"],
    }


def user_characterizations(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    follows: pd.DataFrame,
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    user_clusters: pd.DataFrame,
    cluster_profiles: dict[str, Any],
    generated_captions: pd.DataFrame,
    interest_evidence: dict[str, Any] | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    """The characterization of every profile of ``profiles`` or ``posts``, with or without
    posts: ``{profile: {profile, full_name, is_private, interests, interest_evidence,
    interest_support, persona, posting, representative_posts, circle, image_encoders,
    image_encoder_weights}}``, sorted by profile; the last two say which encoders the image
    features of the person's posts came from (``user_features``' ``image_encoder``;
    ``vision.encoder_fields``), empty for a person without posts.

    ``persona`` is the person's cluster, probability and label (the label of their user
    cluster in ``cluster_profiles``; "no posts" for a person who was not clustered).
    ``interest_evidence`` (``{profile: {category: evidence}}``) of each of a person's top
    interests (terms, hashtags, labels, profile category) comes with the interests, so a
    reader sees why; ``interest_support`` says how many of their posts the top one rests on
    (:func:`interest_support`). ``params`` are the clustering parameters
    (``characterization``: ``top_interests``, ``representative_posts``,
    ``min_support_share``, ``min_support_posts``). ``ValueError`` when ``post_features``
    describes other posts than ``posts`` (:func:`check_features_describe_posts`).
    """
    check_features_describe_posts(posts, post_features)
    settings = params["characterization"]
    columns = interest_columns(user_features)
    interests = user_features.set_index("profile")[columns].rename(
        columns=lambda c: c.removeprefix("interest_")
    )
    users = user_features.set_index("profile")
    personas = user_clusters.set_index("profile")
    cluster_of = personas["cluster"].astype(int).to_dict()
    probability_of = personas["probability"].to_dict()
    labels = {int(k): v["label"] for k, v in (cluster_profiles.get("users") or {}).items()}
    generated = (
        generated_captions.drop_duplicates("post_id").set_index("post_id")["generated_caption"]
        if not generated_captions.empty
        else pd.Series(dtype=object)
    )
    vectors_by_post = post_features.set_index("post_id")["feature"]
    profile_rows = profiles.drop_duplicates("profile").set_index("profile")
    full_names = profile_rows["full_name"]
    private = profile_rows.get("is_private", pd.Series(dtype="boolean"))
    lists_known = {
        profile: {
            side: bool(row[f"{side}_known"])
            for side in ("followers", "followees")
            if pd.notna(row.get(f"{side}_known"))
        }
        for profile, row in profile_rows.iterrows()
    }
    reported = {
        profile: {
            side: int(row[side])
            for side in ("followers", "followees")
            if _number(row.get(side)) is not None
        }
        for profile, row in profile_rows.iterrows()
    }
    downloaded = set(profiles["profile"].dropna().astype(str)) | set(
        posts["profile"].dropna().astype(str)
    )
    everyone = sorted(downloaded)
    # Each person's posts, captions, vectors and rows are looked up, not found by a pass
    # over all of them: the posts as arrays, a person's posts one slice of them.
    people = person_slices(posts["profile"])
    slices = dict(people.slices())
    table = posts.assign(
        generated_caption=posts["post_id"].map(generated),
        vector=posts["post_id"].map(vectors_by_post),
    ).iloc[people.order]
    columns = {name: table[name].to_numpy(dtype=object) for name in POST_COLUMNS}
    post_vectors = table["vector"].to_numpy(dtype=object)
    ages = newest_first(table["taken_at"])
    user_rows = users.to_dict("index")
    follow_lists = FollowLists.from_frame(follows)
    interest_table = InterestTable.from_frame(interests)
    characterizations = {}
    for profile in everyone:
        mine = slices.get(profile, slice(0, 0))
        n_posts = mine.stop - mine.start
        row = user_rows.get(profile)
        vectors, usable = stack_vectors(post_vectors[mine])
        person_vector = None
        if row is not None and row.get("feature") is not None and len(row["feature"]):
            person_vector = np.asarray(row["feature"], float)
        if person_vector is None or vectors.shape[1] != len(person_vector):
            vectors, person_vector = np.zeros((n_posts, 0)), None
        vectors[~usable] = 0.0
        if profile in cluster_of:
            cluster = cluster_of[profile]
            persona = {
                "cluster": cluster,
                "probability": round(float(probability_of[profile]), 4),
                "label": labels.get(cluster, "noise" if cluster == NOISE else f"cluster {cluster}"),
            }
        else:
            persona = {"cluster": NOISE, "probability": 0.0, "label": NO_POSTS_LABEL}
        name = full_names.get(profile)
        top = interest_weights(interest_table.by_category(profile), settings["top_interests"])
        evidence = (interest_evidence or {}).get(profile, {})
        characterizations[profile] = {
            "profile": profile,
            "full_name": name if isinstance(name, str) and name else None,
            "is_private": bool(private[profile]) if pd.notna(private.get(profile)) else None,
            "interests": top,
            "interest_evidence": {c: evidence[c] for c in top if c in evidence},
            "interest_support": interest_support(
                top,
                evidence,
                n_posts,
                settings["min_support_share"],
                settings["min_support_posts"],
            ),
            "persona": persona,
            "posting": posting_behaviour(row, n_posts),
            "representative_posts": nearest_posts(
                {name: column[mine] for name, column in columns.items()},
                ages[mine],
                vectors,
                person_vector,
                settings["representative_posts"],
            ),
            "circle": circle_summary(
                profile,
                follow_lists,
                interest_table,
                cluster_of,
                settings["top_interests"],
                lists_known.get(profile),
                downloaded,
                reported.get(profile),
            ),
            **encoder_fields([row.get("image_encoder")] if row else None),
        }
    without_posts = sum(c["posting"]["posts"] == 0 for c in characterizations.values())
    if without_posts:
        logger.info("%d profiles have no posts: persona label %r.", without_posts, NO_POSTS_LABEL)
    return characterizations
