"""A person's interests and persona vector, from their posts and their profile.

- :func:`profile_interests`: what the profile itself says: instaloader's profile category
  (``category_name`` / ``business_category_name``, e.g. "Musician/Band") through the editable
  ``conf/base/interests/profile_categories.yml``, and the biography scored by the lexicon.
- :func:`blend_interests`: the posts' interest distribution blended with the profile's;
  a person with no evidence at all is ``other``.
- :func:`persona_vectors`: what describes a kind of poster, for the persona clustering:
  the interest distribution (sharpened towards the dominant interests, then square roots, so
  distances are Hellinger), the mean topic mix of the own captions, and the posting style,
  each block L2-normalized and weighted.
- :func:`add_person_interests`: all of it for the ``user_features`` rows (with
  :func:`topic_mix`, each person's mean topic vector).
- :func:`person_slices`: a table's rows person by person, each person's one slice of them.
- :func:`interest_evidence`: why a person has an interest: the lexicon terms, hashtags and
  ImageNet labels behind it, with their weights, and the profile category;
  :func:`collect_interest_evidence` gives it each profile's category from ``profiles``.
"""

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from insta_kedro.text import (
    OTHER,
    InterestLexicon,
    imagenet_label_categories,
    shares,
)
from insta_kedro.text.interest_lexicon import TermMatch

STYLE_COLUMNS = (
    "caption_share",
    "mean_caption_length",
    "hashtags_per_post",
    "english_share",
    "mean_sentiment",
    "carousel_share",
    "video_share",
    "posts_per_week",
)
# Heavy-tailed style columns compared on a log scale.
_LOG_STYLE = ("mean_caption_length", "hashtags_per_post", "posts_per_week")


class PersonSlices(NamedTuple):
    """A table's rows person by person (:func:`person_slices`)."""

    order: np.ndarray  # row positions: person after person, each person's rows in table order
    names: np.ndarray  # the people, ascending (str)
    starts: np.ndarray  # where each person's rows start in ``order``
    counts: np.ndarray  # how many rows each person has

    def slices(self) -> Iterator[tuple[str, slice]]:
        """Each person's name and the slice of ``order`` that holds their rows."""
        for name, start, count in zip(self.names, self.starts, self.counts, strict=True):
            yield str(name), slice(start, start + count)


def person_slices(profiles: pd.Series) -> PersonSlices:
    """The rows of a table whose ``profiles`` column names each row's person, grouped so
    that each person's rows are one slice: people in name order, as ``groupby(sort=True)``
    gives them, each person's rows in the table's order. Rows without a profile are left
    out. One sort for everyone, so that a person's rows are a slice, not a look-up."""
    values = profiles.to_numpy(dtype=object)
    known = np.flatnonzero(pd.notna(values))
    names = values[known].astype(str)
    within = np.argsort(names, kind="stable")
    people, starts, counts = np.unique(names[within], return_index=True, return_counts=True)
    return PersonSlices(known[within], people, starts, counts)


def category_key(name: object) -> str:
    """A profile category compared loosely: lower-case words (``MUSICIAN_BAND`` and
    ``Musician/Band`` are both ``musician band``); ``""`` for none."""
    if not isinstance(name, str):
        return ""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


def profile_interests(
    profiles: pd.DataFrame,
    lexicon: InterestLexicon,
    category_map: Mapping[str, str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Per profile: the mapped profile category as one-hot rows, the biography's interest
    shares, and the mapped category's name (``None`` when unmapped).

    ``category_map``: Instagram category name → interest category (names compared by
    :func:`category_key`). Returns two frames indexed by profile with one column per lexicon
    category, and a Series of the interest each profile category maps to.
    """
    rows = profiles.drop_duplicates("profile").set_index("profile")
    mapping = {category_key(k): v for k, v in (category_map or {}).items()}
    unknown = sorted({v for v in mapping.values() if v not in lexicon.categories})
    if unknown:
        raise ValueError(f"profile_categories maps to unknown interest categories {unknown}")
    mapped = rows.get("category", pd.Series(None, index=rows.index)).map(
        lambda name: mapping.get(category_key(name))
    )
    onehot = pd.DataFrame(0.0, index=rows.index, columns=list(lexicon.categories))
    for profile, category in mapped.dropna().items():
        onehot.loc[profile, category] = 1.0
    biographies = rows.get("biography", pd.Series("", index=rows.index)).fillna("").astype(str)
    biography_shares, _ = lexicon.scores(biographies.tolist())
    biography = pd.DataFrame(biography_shares, index=rows.index, columns=list(lexicon.categories))
    return onehot, biography, mapped.astype(object).where(mapped.notna(), None)


def blend_interests(
    posts_distribution: np.ndarray,
    category: np.ndarray,
    biography: np.ndarray,
    category_weight: float,
    biography_weight: float,
    categories: Sequence[str],
) -> np.ndarray:
    """Rows (people) of interest shares: ``(1 - a - b) · posts + a · category + b · biography``,
    each part taking its weight only where it has evidence (the others share the rest), and
    ``other`` = 1 where nothing has any."""
    blended = np.zeros_like(posts_distribution, dtype=np.float64)
    remaining = np.ones(len(posts_distribution))
    for part, weight in ((category, category_weight), (biography, biography_weight)):
        share = np.where(part.sum(axis=1) > 0, weight, 0.0)
        blended += share[:, None] * shares(part)
        remaining -= share
    blended += remaining[:, None] * shares(posts_distribution)  # rows without evidence: 0
    blended = shares(blended)
    if OTHER in categories:
        blended[blended.sum(axis=1) == 0, list(categories).index(OTHER)] = 1.0
    return blended


def topic_mix(
    posts: pd.DataFrame, post_text_features: pd.DataFrame, people: pd.Series
) -> np.ndarray:
    """Each person's mean topic vector (``own_topic_…``) over their captioned posts, in the
    order of ``people``; zeros for a person without a caption."""
    topics = [c for c in post_text_features if c.startswith("own_topic_")]
    captioned = post_text_features[post_text_features["own_present"] > 0]
    return (
        captioned[["post_id", *topics]]
        .merge(posts[["post_id", "profile"]], on="post_id")
        .groupby("profile")[topics]
        .mean()
        .reindex(people)
        .fillna(0.0)
        .to_numpy()
    )


def add_person_interests(
    users: pd.DataFrame,
    profiles: pd.DataFrame,
    lexicon: InterestLexicon,
    category_map: Mapping[str, str] | None,
    category_weight: float,
    biography_weight: float,
    topics: np.ndarray,
    persona_weights: Mapping[str, float],
    sharpening: float,
) -> pd.DataFrame:
    """``users`` (one row per person, ``interest_<category>`` from their posts) with the
    interests blended with the profile's (:func:`blend_interests`), ``top_interest`` and
    ``persona_feature`` (:func:`persona_vectors`; ``topics`` from :func:`topic_mix`)."""
    category, biography, _ = profile_interests(profiles, lexicon, category_map)
    columns = [f"interest_{c}" for c in lexicon.categories]
    blended = blend_interests(
        users.reindex(columns=columns, fill_value=0.0).to_numpy(float),
        category.reindex(users["profile"]).fillna(0.0).to_numpy(),
        biography.reindex(users["profile"]).fillna(0.0).to_numpy(),
        category_weight,
        biography_weight,
        lexicon.categories,
    )
    users = users.copy()
    users[columns] = blended
    users["top_interest"] = [
        lexicon.categories[int(np.argmax(row))] if row.sum() > 0 else "" for row in blended
    ]
    vectors = persona_vectors(users, topics, persona_weights, sharpening)
    users["persona_feature"] = list(vectors)
    return users


def _unit_rows(block: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    return np.divide(block, norms, out=np.zeros_like(block), where=norms > 0)


def persona_vectors(
    user_features: pd.DataFrame,
    topic_mix: np.ndarray,
    weights: Mapping[str, float],
    sharpening: float = 1.0,
) -> np.ndarray:
    """One vector per row of ``user_features``: interests, topics and posting style.

    ``user_features`` has the ``interest_<category>`` shares and the :data:`STYLE_COLUMNS`;
    ``topic_mix``: each person's mean topic vector of their own captions. ``weights``:
    ``interests``, ``topics``, ``style``. Interests enter as square roots of the shares raised
    to ``sharpening`` and renormalized (above 1, a person moves towards their dominant
    interests, so people of one kind gather densely), the style as z-scores across people (log
    for counts); each block is L2-normalized and then multiplied by its weight. Returns
    float32 ``(people, dims)``.
    """
    columns = [c for c in user_features if c.startswith("interest_")]
    interests = shares(user_features[columns].to_numpy(float).clip(min=0) ** sharpening)
    style = user_features[list(STYLE_COLUMNS)].astype(float).fillna(0.0).copy()
    for column in _LOG_STYLE:
        style[column] = np.log1p(style[column].clip(lower=0))
    spread = style.std(ddof=0).replace(0, 1.0)
    style = ((style - style.mean()) / spread).to_numpy()
    blocks = [
        weights["interests"] * _unit_rows(np.sqrt(interests)),
        weights["topics"] * _unit_rows(np.asarray(topic_mix, float)),
        weights["style"] * _unit_rows(style),
    ]
    return np.hstack(blocks).astype(np.float32)


def _top(weights: Mapping[str, float], n: int) -> dict[str, float]:
    items = sorted(((k, v) for k, v in weights.items() if v > 0), key=lambda i: (-i[1], i[0]))
    return {k: round(float(v), 3) for k, v in items[:n]}


def interest_evidence(
    posts: pd.DataFrame,
    lexicon: InterestLexicon,
    image_labels: pd.DataFrame,
    imagenet_categories: Mapping[str, Any],
    profile_categories: Mapping[str, tuple[str, str | None]],
    top_n: int = 5,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{profile: {category: evidence}}``: for each category with any, the top lexicon
    ``terms`` (words, emojis and openings such as "when you …"), ``hashtags`` and ``mentions``
    (tagged accounts) of the person's captions with their summed weights, the top ImageNet
    ``labels`` with their summed probabilities, the number of ``posts`` with any of these (a
    lexicon match or a label), and the ``profile_category`` (Instagram's name) when the
    profile's category maps to it.
    ``profile_categories``: profile → (Instagram category, the interest it maps to or None).
    """
    label_names = image_labels["label"].astype(str)
    label_categories = imagenet_label_categories(
        label_names.unique(), imagenet_categories, lexicon.categories
    )
    labels_of_post: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for post_id, label, probability in zip(
        image_labels["post_id"], label_names, image_labels["probability"], strict=True
    ):
        labels_of_post[post_id].append((label, float(np.nan_to_num(probability))))

    people = person_slices(posts["profile"])
    post_ids = posts["post_id"].to_numpy(dtype=object)[people.order]
    captions = posts["caption"].to_numpy(dtype=object)[people.order]
    caption_matches = _matches_by_caption(captions, lexicon)
    evidence: dict[str, dict[str, dict[str, Any]]] = {}
    for profile, rows in people.slices():
        terms: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        hashtags: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        mentions: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        labels: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        post_counts: dict[str, int] = defaultdict(int)
        for post_id, matches in zip(
            post_ids[rows], islice(caption_matches, rows.stop - rows.start), strict=True
        ):
            seen = set()
            for match in matches:
                for index in match.categories:
                    category = lexicon.categories[index]
                    seen.add(category)
                    if match.source == "hashtag":
                        hashtags[category]["#" + match.tag] += match.weight
                    elif match.source == "mention":
                        mentions[category]["@" + match.tag] += match.weight
                    elif match.source == "opening":
                        terms[category][match.term + " …"] += match.weight
                    else:
                        terms[category][match.term] += match.weight
            for label, probability in labels_of_post.get(post_id, []):
                for index in label_categories[label]:
                    seen.add(lexicon.categories[index])
                    labels[lexicon.categories[index]][label] += probability
            for category in seen:
                post_counts[category] += 1
        raw_category, mapped = profile_categories.get(profile, (None, None))
        person = {}
        for category in lexicon.categories:
            if category not in post_counts and category != mapped:
                continue  # no evidence at all
            entry = {
                "terms": _top(terms[category], top_n),
                "hashtags": _top(hashtags[category], top_n),
                "mentions": _top(mentions[category], top_n),
                "labels": _top(labels[category], top_n),
                "posts": post_counts[category],
                "profile_category": raw_category if category == mapped else None,
            }
            if (
                any(entry[key] for key in ("terms", "hashtags", "mentions", "labels"))
                or entry["profile_category"]
            ):
                person[category] = entry
        evidence[str(profile)] = person
    return evidence


def _matches_by_caption(
    captions: Sequence[Any], lexicon: InterestLexicon, block: int = 16384
) -> Iterator[list[TermMatch]]:
    """The lexicon's matches of each caption in order (``InterestLexicon.matches_in``), read
    ``block`` captions at a time: the languages of a block told at once, the matches of only
    one block held."""
    for start in range(0, len(captions), block):
        yield from lexicon.matches_in(captions[start : start + block])


def collect_interest_evidence(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    image_labels: pd.DataFrame,
    lexicon: InterestLexicon,
    imagenet_categories: Mapping[str, Any],
    category_map: Mapping[str, str] | None,
    top_n: int = 5,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``interest_evidence`` of every profile with posts: :func:`interest_evidence` with each
    profile's Instagram category (``profiles``' ``category``) and the interest it maps to
    through ``category_map`` (:func:`profile_interests`).

    Returns ``{profile: {category: evidence}}``, at most ``top_n`` terms, hashtags, mentions
    and labels per interest.
    """
    _, _, mapped = profile_interests(profiles, lexicon, category_map)
    raw = profiles.drop_duplicates("profile").set_index("profile").get("category")
    by_profile = {
        profile: (raw.get(profile) if raw is not None else None, interest)
        for profile, interest in mapped.items()
    }
    return interest_evidence(posts, lexicon, image_labels, imagenet_categories, by_profile, top_n)
