"""What a cluster is about: top interests, class-based TF-IDF terms, exemplars, a label.

Class-based TF-IDF (c-TF-IDF, as in BERTopic), counting members rather than uses: a term's
weight in cluster c is ``n(t, c) / n(c) · log(1 + A / f(t))`` with ``n(t, c)`` the number of
c's members (posts, or people) that use t, ``n(c)`` the sum of ``n(·, c)``, ``A`` its mean
over clusters and ``f(t)`` the term's ``n`` over all clusters. Each member has one vote, and
a term of fewer than ``min_members`` members of a cluster does not describe it: a person who
writes their own hashtag on every post does not make it their persona's. Words and
hashtags are scored separately (a hashtag and the same word are different signals). A
caption's words leave out its credits, web addresses and the stop words of its own language
(:func:`caption_reader`).

``cluster_profiles`` describes every cluster of the post and the user clustering.
"""

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from insta_kedro.personas.clustering import NOISE, PersonaClusterer, persona_frame, stack_vectors
from insta_kedro.personas.inputs import check_features_describe_posts
from insta_kedro.text import (
    content_text,
    detect_languages,
    extract_hashtags,
    folded,
    has_abjad,
    is_compact,
    is_stop_word,
    plain_text,
    stop_words,
    words_of,
)
from insta_kedro.vision import encoder_fields

# Persona labels of cluster -1 besides "noise": a profile without posts, and every point of a
# level that had too few points for HDBSCAN (``PersonaClusterer.skipped``).
NO_POSTS_LABEL = "no posts"
NOT_CLUSTERED_LABEL = "not clustered"

MIN_WORD_LENGTH = 3
# A word of a script written without spaces (Chinese, Japanese, Thai) or in Hangul, whose
# characters are syllables (``text.is_compact``), is a word from 2 characters on (東京, 散歩,
# ทะเล, 카페); of 1 it is mostly a particle or an ending (は, を, た, 的).
MIN_COMPACT_WORD_LENGTH = 2


def caption_plain(caption: str) -> str:
    """The plain text of a caption as the descriptions read it: its ``text.content_text``
    (no credits, web addresses or contractions) without hashtags, mentions and emojis."""
    return plain_text(content_text(caption or ""))


def plain_words(plain: str, language: str = "en") -> list[str]:
    """Lower-case content words of a :func:`caption_plain` text written in ``language``
    (``text.words_of``: Chinese, Japanese and Thai split into words; Arabic and Hebrew without
    their marks and tatweel, ``text.common_words.folded``), of 3+ letters (2+ in those
    scripts and in Korean's Hangul, ``text.is_compact``), without the stop words of
    ``language`` and Japanese particles and endings (``text.common_words.is_stop_word``)."""
    stop = stop_words(language)
    fold = folded if has_abjad(plain) else str
    words = []
    for found in words_of(plain):
        word = fold(found.lower().replace("’", "'"))
        shortest = MIN_COMPACT_WORD_LENGTH if is_compact(word) else MIN_WORD_LENGTH
        if len(word) >= shortest and not is_stop_word(word, stop):
            words.append(sys.intern(word))  # one string per word, however many captions have it
    return words


def caption_words(caption: str, language: str = "en") -> list[str]:
    """:func:`plain_words` of a caption written in ``language``."""
    return plain_words(caption_plain(caption), language)


def caption_reader(captions: Iterable[str]) -> Callable[[str], Sequence[str]]:
    """A reader of the words of ``captions``, each read once and without the stop words of
    its own language (``text.detect_languages`` on its plain text; English's alone when the
    caption is too short to tell).

    Returns a function of a caption giving its words (a tuple); a caption not among
    ``captions`` is read as English.
    """
    distinct = list(dict.fromkeys(caption for caption in captions if caption))
    plains = [caption_plain(caption) for caption in distinct]
    languages = detect_languages(plains)
    words = {
        caption: tuple(plain_words(plain, language))
        for caption, plain, language in zip(distinct, plains, languages, strict=True)
    }
    del plains

    def read(caption: str) -> Sequence[str]:
        found = words.get(caption)
        return caption_words(caption) if found is None else found

    return read


def caption_hashtags(caption: str) -> list[str]:
    """Lower-case hashtags without '#', but for English stop words ("#the", "#me")."""
    tags = (tag.lower() for tag in extract_hashtags(caption or ""))
    return [tag for tag in tags if tag not in ENGLISH_STOP_WORDS]


def class_tfidf(
    documents: dict[int, Iterable[str]], top_n: int = 8, min_count: int = 1
) -> dict[int, list[tuple[str, float]]]:
    """Top ``top_n`` terms of each class by c-TF-IDF: ``{class: [(term, weight), ...]}``.

    ``documents`` maps a class to its tokens; terms seen fewer than ``min_count`` times in a
    class are ignored for that class.
    """
    counts = {label: Counter(tokens) for label, tokens in documents.items()}
    totals = Counter()
    for counter in counts.values():
        totals.update(counter)
    sizes = {label: sum(counter.values()) for label, counter in counts.items()}
    non_empty = [size for size in sizes.values() if size]
    mean_words = float(np.mean(non_empty)) if non_empty else 0.0
    top: dict[int, list[tuple[str, float]]] = {}
    for label, counter in counts.items():
        scored = [
            (term, count / sizes[label] * np.log(1 + mean_words / totals[term]))
            for term, count in counter.items()
            if count >= min_count
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
        top[label] = [(term, round(float(weight), 6)) for term, weight in scored[:top_n]]
    return top


def top_interests(
    interests: pd.DataFrame, top_n: int = 3, min_weight: float = 0.0
) -> dict[str, float]:
    """Mean interest shares of the rows (columns ``interest_<category>``), top ``top_n``.

    Rows without any interest are left out of the mean; weights are renormalized to sum 1 over
    all categories before the top ones are kept.
    """
    columns = [c for c in interests.columns if c.startswith("interest_")]
    values = interests[columns].to_numpy(dtype=float)
    values = values[values.sum(axis=1) > 0]
    if not len(values):
        return {}
    mean = values.mean(axis=0)
    mean = mean / mean.sum()
    order = np.argsort(-mean, kind="stable")[:top_n]
    return {
        columns[i].removeprefix("interest_"): round(float(mean[i]), 4)
        for i in order
        if mean[i] > min_weight
    }


def exemplars(
    ids: Sequence[str], reduced: np.ndarray, probabilities: np.ndarray, top_n: int = 5
) -> list[str]:
    """The ``top_n`` most central members: nearest to the members' centroid, then most probable."""
    if not len(ids):
        return []
    if reduced.shape[1] == 0:
        order = np.argsort(-probabilities, kind="stable")
    else:
        distance = np.linalg.norm(reduced - reduced.mean(axis=0), axis=1)
        order = np.lexsort((-probabilities, distance))
    return [str(ids[i]) for i in order[:top_n]]


def cluster_label(
    cluster: int,
    interests: dict[str, float],
    hashtags: Sequence[str],
    words: Sequence[str],
) -> str:
    """A short readable label: the top interest (and the second when it weighs at least half
    as much), then the top hashtag and word when they add something."""
    if cluster == NOISE:
        return "noise"
    ranked = sorted(interests.items(), key=lambda item: -item[1])
    parts = [c for i, (c, w) in enumerate(ranked[:2]) if i == 0 or w >= ranked[0][1] / 2]
    named = set(parts)
    if hashtags and hashtags[0] not in named:
        parts.append(f"#{hashtags[0]}")
        named.add(hashtags[0])
    if words and words[0] not in named:
        parts.append(words[0])
    return " · ".join(parts[:3]) if parts else f"cluster {cluster}"


def interest_columns(frame: pd.DataFrame) -> list[str]:
    """The ``interest_<category>`` columns of ``frame``, in column order."""
    return [c for c in frame.columns if c.startswith("interest_")]


def member_tokens(
    members: pd.Series, captions_by_member: pd.Series, tokenize: Callable[[str], Sequence[str]]
) -> Iterator[str]:
    """Each member's distinct tokens (``tokenize``) of its captions, in member order, one at a
    time: :func:`class_tfidf` then counts how many members use a term, so that each member
    has one vote (a prolific poster's own hashtag does not describe a whole persona), without
    a cluster's tokens ever being held at once.

    ``captions_by_member`` maps a member to one caption or to a list of captions; members
    without captions, and missing captions, add nothing.
    """
    for captions in captions_by_member.reindex(members).dropna():
        texts = captions if isinstance(captions, list) else [captions]
        yield from dict.fromkeys(
            token for text in texts if not pd.isna(text) for token in tokenize(str(text))
        )


def describe_level(
    frame: pd.DataFrame,
    clusters: pd.DataFrame,
    key: str,
    clusterer: PersonaClusterer,
    captions_by_member: pd.Series,
    params: dict[str, Any],
    words: Callable[[str], Sequence[str]] = caption_words,
) -> dict[str, Any]:
    """Description of every cluster of one level (posts or users), noise included.

    ``frame`` has ``key``, ``feature`` and the ``interest_<category>`` columns; ``clusters``
    has ``key``, ``cluster`` and ``probability``; ``captions_by_member`` maps a ``key`` to its
    caption(s); ``params["description"]`` has ``top_interests``, ``top_terms``,
    ``min_members`` and ``exemplars``; ``words`` reads a caption's words
    (:func:`caption_words`). Returns
    ``{"<cluster>": {cluster, size, label, top_interests, top_hashtags, top_words,
    exemplars, image_encoders, image_encoder_weights}}`` sorted by cluster (the last two: the
    encoders of the members' image features, from ``frame``'s ``image_encoder`` column, empty
    without it: ``vision.encoder_fields``); when the clusterer was not
    fitted every label is "not clustered" and each entry also has ``skipped`` (why).
    """
    settings = params["description"]
    encoder = ["image_encoder"] if "image_encoder" in frame else []
    merged = clusters[[key, "cluster", "probability"]].merge(
        frame[[key, *interest_columns(frame), *encoder]], on=key, how="left"
    )
    vectors, usable = stack_vectors(
        clusters[[key]].merge(frame[[key, "feature"]], on=key, how="left")["feature"]
    )
    reduced = np.zeros((len(clusters), 0))
    if usable.all() and clusterer.dims and vectors.shape[1] == clusterer.dims:
        reduced = clusterer.reduce(vectors)
    groups = merged.groupby("cluster")[key]
    documents = {
        int(label): member_tokens(members, captions_by_member, words) for label, members in groups
    }
    hashtag_documents = {
        int(label): member_tokens(members, captions_by_member, caption_hashtags)
        for label, members in groups
    }
    top_words_of = class_tfidf(documents, settings["top_terms"], settings["min_members"])
    hashtags = class_tfidf(hashtag_documents, settings["top_terms"], settings["min_members"])
    described = {}
    for cluster_id, group in merged.groupby("cluster"):
        label = int(cluster_id)
        rows = group.index.to_numpy()
        interests = top_interests(group, settings["top_interests"])
        top_hashtags = [term for term, _ in hashtags.get(label, [])]
        top_words = [term for term, _ in top_words_of.get(label, [])]
        described[str(label)] = {
            "cluster": label,
            "size": len(group),
            "label": NOT_CLUSTERED_LABEL
            if clusterer.skipped
            else cluster_label(label, interests, top_hashtags, top_words),
            "top_interests": interests,
            "top_hashtags": top_hashtags,
            "top_words": top_words,
            "exemplars": exemplars(
                group[key].tolist(),
                reduced[rows] if reduced.shape[1] else np.zeros((len(rows), 0)),
                group["probability"].to_numpy(float),
                settings["exemplars"],
            ),
            **encoder_fields(group.get("image_encoder")),
        }
    if clusterer.skipped:
        for entry in described.values():
            entry["skipped"] = clusterer.skipped
    return dict(sorted(described.items(), key=lambda item: int(item[0])))


def cluster_profiles(
    posts: pd.DataFrame,
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: PersonaClusterer,
    user_clusterer: PersonaClusterer,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Descriptions (:func:`describe_level`) of the post clusters, from each post's caption,
    and of the user clusters, from all captions of each person's ``posts``; people are
    described by their ``persona_feature`` (:func:`persona_frame`). Each caption's words are
    read once, without the stop words of its own language (:func:`caption_reader`).

    ``params`` are the clustering parameters (``description``). Returns
    ``{"posts": {"<cluster>": description}, "users": {"<cluster>": description}}`` (noise
    under "-1"). ``ValueError`` when ``post_features`` describes other posts than ``posts``
    (:func:`check_features_describe_posts`).
    """
    check_features_describe_posts(posts, post_features)
    captions = posts.set_index("post_id")["caption"].fillna("").astype(str)
    captions_by_profile = (
        posts["caption"].fillna("").astype(str).groupby(posts["profile"]).agg(list)
    )
    words = caption_reader(captions)
    return {
        "posts": describe_level(
            post_features, post_clusters, "post_id", post_clusterer, captions, params, words
        ),
        "users": describe_level(
            persona_frame(user_features),
            user_clusters,
            "profile",
            user_clusterer,
            captions_by_profile,
            params,
            words,
        ),
    }
