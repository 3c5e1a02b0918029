"""Nodes of the clustering pipeline: persona clusters of posts and users, their validation,
descriptions, plots, and the characterization of every person (docs/clustering.md).
"""

import logging
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from insta_kedro.personas import (
    NO_POSTS_LABEL,
    NOISE,
    NOT_CLUSTERED_LABEL,
    PersonaClusterer,
    bootstrap_stability,
    caption_hashtags,
    caption_words,
    check_level_params,
    circle_summary,
    class_tfidf,
    cluster_interest_figure,
    cluster_label,
    cluster_map,
    clustering_scores,
    condensed_tree_figure,
    exemplars,
    fit_persona_clusterer,
    interest_weights,
    posting_behaviour,
    representative_posts,
    stack_vectors,
    top_interests,
)

logger = logging.getLogger(__name__)


def cluster_vectors(
    frame: pd.DataFrame, key: str, params: dict[str, Any], seed: int
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """Cluster the ``feature`` vectors of ``frame``; one output row per input row.

    Rows without a usable vector are noise with probability 0 and NaN map coordinates.
    """
    vectors, usable = stack_vectors(frame["feature"])
    if (~usable).any():
        logger.warning("%d %s rows have no usable feature vector: noise.", (~usable).sum(), key)
    clusterer, result = fit_persona_clusterer(vectors[usable], params, seed)
    n_rows = len(frame)
    labels = np.full(n_rows, NOISE, dtype=int)
    probabilities = np.zeros(n_rows)
    outlier_scores = np.ones(n_rows)
    coordinates = np.full((n_rows, 2), np.nan)
    width = result.membership.shape[1]
    membership = [np.zeros(width, np.float32) for _ in range(n_rows)]
    labels[usable] = result.labels
    probabilities[usable] = result.probabilities
    outlier_scores[usable] = result.outlier_scores
    coordinates[usable] = result.coordinates
    for row, vector in zip(np.flatnonzero(usable), result.membership, strict=True):
        membership[row] = vector.astype(np.float32)
    clusters = pd.DataFrame(
        {
            key: frame[key].astype(str).to_numpy(),
            "cluster": labels,
            "probability": probabilities,
            "x": coordinates[:, 0],
            "y": coordinates[:, 1],
            "outlier_score": outlier_scores,
            "membership": membership,
        }
    )
    return clusters, clusterer


def cluster_posts(
    post_features: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """``post_clusters`` (post_id, cluster, probability, x, y, outlier_score, membership)."""
    check_level_params(params["posts"], "clustering.posts")
    return cluster_vectors(post_features, "post_id", params["posts"], params["seed"])


def persona_frame(user_features: pd.DataFrame) -> pd.DataFrame:
    """``user_features`` with ``feature`` = ``persona_feature`` (interests, topics, posting
    style), the vector people are clustered by; unchanged without that column."""
    if "persona_feature" not in user_features:
        return user_features
    return user_features.assign(feature=user_features["persona_feature"])


def user_level_params(params: dict[str, Any], n_people: int) -> dict[str, Any]:
    """``clustering.users`` with ``min_cluster_size: auto`` resolved for ``n_people``:
    ``max(2, round(sqrt(n_people) / 2))``, so a persona grows with the number of people."""
    users = params["users"]
    size = users["hdbscan"]["min_cluster_size"]
    if size != "auto":
        return users
    size = max(2, round(np.sqrt(max(n_people, 1)) / 2))
    return {**users, "hdbscan": {**users["hdbscan"], "min_cluster_size": size}}


def cluster_users(
    user_features: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """``user_clusters`` (profile, cluster, probability, x, y, outlier_score, membership).

    People are clustered by ``persona_feature`` (:func:`persona_frame`). Only profiles with
    posts have features; people without posts are characterized with the persona label
    "no posts" (``characterize_users``), not clustered.
    """
    level = user_level_params(params, len(user_features))
    check_level_params(level, "clustering.users")
    clusters, clusterer = cluster_vectors(
        persona_frame(user_features), "profile", level, params["seed"]
    )
    return clusters.drop(columns="outlier_score"), clusterer


def reduced_vectors(
    frame: pd.DataFrame, clusters: pd.DataFrame, key: str, clusterer: PersonaClusterer
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(raw usable vectors, their reduced vectors, their labels, the usable-row mask of
    ``frame``), in ``frame`` order."""
    vectors, usable = stack_vectors(frame["feature"])
    labels = frame[key].astype(str).map(clusters.set_index(key)["cluster"]).fillna(NOISE)
    labels = labels.to_numpy(dtype=int)[usable]
    if not usable.any() or clusterer.dims == 0:
        return vectors[usable], np.zeros((int(usable.sum()), 0)), labels, usable
    return vectors[usable], clusterer.reduce(vectors[usable]), labels, usable


def validate_level(
    frame: pd.DataFrame,
    clusters: pd.DataFrame,
    key: str,
    clusterer: PersonaClusterer,
    truth: dict[str, str],
    level_params: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Scores of one level (posts or users), stability, and why the clusterer was skipped."""
    validation = params["validation"]
    vectors, reduced, labels, usable = reduced_vectors(frame, clusters, key, clusterer)
    usable_keys = frame[key].astype(str)[usable]
    truth_labels = usable_keys.map(truth).to_numpy(dtype=object) if truth else None
    scores = clustering_scores(
        reduced,
        labels,
        truth_labels,
        level_params["hdbscan"].get("metric", "euclidean"),
        validation["max_points"],
        params["seed"],
    )
    scores["rows_without_vector"] = int(len(frame) - len(labels))
    scores["skipped"] = clusterer.skipped
    scores["stability"] = None
    if clusterer.clusterer is not None:

        def refit(sample: np.ndarray) -> np.ndarray | None:
            refitted, result = fit_persona_clusterer(sample, level_params, params["seed"])
            return None if refitted.skipped else result.labels

        fraction = validation["stability_fraction"]
        if not 0 < fraction < 1:
            raise ValueError(
                f"clustering.validation.stability_fraction must be in (0, 1), got {fraction!r}"
            )
        scores["stability"] = bootstrap_stability(
            vectors, labels, refit, validation["stability_resamples"], fraction, params["seed"]
        )
    return scores


def flat_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """MLflow metrics ``<level>.<score>`` (``{name: {value, step}}``) of the defined scores."""
    metrics = {}
    for level in ("posts", "users"):
        scores = report[level]
        values = {
            "clusters": scores["clusters"],
            "noise_share": scores["noise_share"],
            "dbcv": scores["dbcv"],
            "silhouette": scores["silhouette"],
            "stability_ari": (scores["stability"] or {}).get("mean_ari"),
            **{
                f"truth_{name}": value
                for name, value in (scores.get("ground_truth") or {}).items()
                if name != "points"
            },
        }
        metrics.update(
            {
                f"{level}.{name}": {"value": float(value), "step": 0}
                for name, value in values.items()
                if value is not None
            }
        )
    return metrics


def validate_clustering(
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: PersonaClusterer,
    user_clusterer: PersonaClusterer,
    demo_themes: dict[str, Any],
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """``clustering_report`` and its MLflow metrics (``clustering.<level>.<score>``).

    DBCV, silhouette (non-noise), noise share, subsample stability, and ARI/NMI against the
    demo ground truth when there is one.
    """
    themes = demo_themes or {}
    report = {
        "posts": validate_level(
            post_features,
            post_clusters,
            "post_id",
            post_clusterer,
            themes.get("posts") or {},
            params["posts"],
            params,
        ),
        "users": validate_level(
            persona_frame(user_features),
            user_clusters,
            "profile",
            user_clusterer,
            themes.get("profiles") or {},
            user_level_params(params, len(user_features)),
            params,
        ),
        "ground_truth": "demo themes" if themes.get("posts") else None,
    }
    for level in ("posts", "users"):
        scores = report[level]
        truth = scores.get("ground_truth")
        logger.info(
            "clustering %s: %d clusters, noise %.2f, DBCV %s, ARI vs themes %s",
            level,
            scores["clusters"],
            scores["noise_share"] or 0.0,
            scores["dbcv"],
            None if not truth else round(truth["ari"], 3),
        )
    return report, flat_metrics(report)


def interest_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("interest_")]


def member_tokens(
    members: pd.Series, captions_by_member: pd.Series, tokenize: Callable[[str], list[str]]
) -> list[str]:
    """All tokens of the members' captions (a member maps to one caption or to a list)."""
    texts = captions_by_member.reindex(members).dropna().explode().dropna()
    return [token for text in texts for token in tokenize(str(text))]


def describe_level(
    frame: pd.DataFrame,
    clusters: pd.DataFrame,
    key: str,
    clusterer: PersonaClusterer,
    captions_by_member: pd.Series,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Per cluster of one level: size, label, top interests, c-TF-IDF terms and exemplars."""
    settings = params["description"]
    merged = clusters[[key, "cluster", "probability"]].merge(
        frame[[key, *interest_columns(frame)]], on=key, how="left"
    )
    vectors, usable = stack_vectors(
        clusters[[key]].merge(frame[[key, "feature"]], on=key, how="left")["feature"]
    )
    reduced = np.zeros((len(clusters), 0))
    if usable.all() and clusterer.dims and vectors.shape[1] == clusterer.dims:
        reduced = clusterer.reduce(vectors)
    groups = merged.groupby("cluster")[key]
    documents = {
        int(label): member_tokens(members, captions_by_member, caption_words)
        for label, members in groups
    }
    hashtag_documents = {
        int(label): member_tokens(members, captions_by_member, caption_hashtags)
        for label, members in groups
    }
    words = class_tfidf(documents, settings["top_terms"])
    hashtags = class_tfidf(hashtag_documents, settings["top_terms"])
    described = {}
    for cluster_id, group in merged.groupby("cluster"):
        label = int(cluster_id)
        rows = group.index.to_numpy()
        interests = top_interests(group, settings["top_interests"])
        top_hashtags = [term for term, _ in hashtags.get(label, [])]
        top_words = [term for term, _ in words.get(label, [])]
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
        }
    if clusterer.skipped:
        for entry in described.values():
            entry["skipped"] = clusterer.skipped
    return dict(sorted(described.items(), key=lambda item: int(item[0])))


def describe_clusters(
    posts: pd.DataFrame,
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: PersonaClusterer,
    user_clusterer: PersonaClusterer,
    params: dict[str, Any],
) -> dict[str, Any]:
    """``cluster_profiles``: ``{"posts": {id: C}, "users": {id: C}}`` (noise under "-1")."""
    captions = posts.set_index("post_id")["caption"].fillna("").astype(str)
    captions_by_profile = posts.groupby("profile")["caption"].agg(
        lambda c: c.fillna("").astype(str).tolist()
    )
    return {
        "posts": describe_level(
            post_features, post_clusters, "post_id", post_clusterer, captions, params
        ),
        "users": describe_level(
            persona_frame(user_features),
            user_clusters,
            "profile",
            user_clusterer,
            captions_by_profile,
            params,
        ),
    }


def characterize_users(
    posts: pd.DataFrame,
    profiles: pd.DataFrame,
    follows: pd.DataFrame,
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    user_clusters: pd.DataFrame,
    cluster_profiles: dict[str, Any],
    generated_captions: pd.DataFrame,
    interest_evidence: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """``user_characterizations``: ``{profile: U}`` for every profile, with or without posts.

    ``interest_evidence`` of each of a person's top interests (terms, hashtags, labels,
    profile category) comes with the interests, so a reader sees why.
    """
    settings = params["characterization"]
    columns = interest_columns(user_features)
    interests = user_features.set_index("profile")[columns].rename(
        columns=lambda c: c.removeprefix("interest_")
    )
    users = user_features.set_index("profile")
    personas = user_clusters.set_index("profile")
    cluster_of = personas["cluster"].astype(int).to_dict()
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
    everyone = sorted(set(profiles["profile"].astype(str)) | set(posts["profile"].astype(str)))
    characterizations = {}
    for profile in everyone:
        mine = posts[posts["profile"] == profile].assign(
            generated_caption=lambda p: p["post_id"].map(generated)
        )
        row = users.loc[profile].to_dict() if profile in users.index else None
        vectors, usable = stack_vectors(mine["post_id"].map(vectors_by_post))
        person_vector = None
        if row is not None and row.get("feature") is not None and len(row["feature"]):
            person_vector = np.asarray(row["feature"], float)
        if person_vector is None or vectors.shape[1] != len(person_vector):
            vectors, person_vector = np.zeros((len(mine), 0)), None
        vectors[~usable] = 0.0
        if profile in personas.index:
            cluster = int(personas.loc[profile, "cluster"])
            persona = {
                "cluster": cluster,
                "probability": round(float(personas.loc[profile, "probability"]), 4),
                "label": labels.get(cluster, "noise" if cluster == NOISE else f"cluster {cluster}"),
            }
        else:
            persona = {"cluster": NOISE, "probability": 0.0, "label": NO_POSTS_LABEL}
        name = full_names.get(profile)
        top = interest_weights(
            interests.loc[profile].to_dict() if profile in interests.index else {},
            settings["top_interests"],
        )
        evidence = (interest_evidence or {}).get(profile, {})
        characterizations[profile] = {
            "profile": profile,
            "full_name": name if isinstance(name, str) and name else None,
            "is_private": bool(private[profile]) if pd.notna(private.get(profile)) else None,
            "interests": top,
            "interest_evidence": {c: evidence[c] for c in top if c in evidence},
            "persona": persona,
            "posting": posting_behaviour(row, len(mine)),
            "representative_posts": representative_posts(
                mine, vectors, person_vector, settings["representative_posts"]
            ),
            "circle": circle_summary(
                profile, follows, interests, cluster_of, settings["top_interests"]
            ),
        }
    without_posts = sum(c["posting"]["posts"] == 0 for c in characterizations.values())
    if without_posts:
        logger.info("%d profiles have no posts: persona label %r.", without_posts, NO_POSTS_LABEL)
    return characterizations


def plot_cluster_maps(
    post_clusters: pd.DataFrame, user_clusters: pd.DataFrame, cluster_profiles: dict[str, Any]
) -> tuple[go.Figure, go.Figure]:
    """Interactive 2-D maps of posts and of users, coloured by cluster."""
    return (
        cluster_map(post_clusters, "post_id", cluster_profiles.get("posts") or {}, "Posts"),
        cluster_map(user_clusters, "profile", cluster_profiles.get("users") or {}, "Users"),
    )


def plot_condensed_trees(
    post_clusterer: PersonaClusterer, user_clusterer: PersonaClusterer
) -> tuple[plt.Figure, plt.Figure]:
    """HDBSCAN condensed trees of the post and user clusterings."""
    return (
        condensed_tree_figure(post_clusterer, "Posts: HDBSCAN condensed tree"),
        condensed_tree_figure(user_clusterer, "Users: HDBSCAN condensed tree"),
    )


def plot_cluster_interests(cluster_profiles: dict[str, Any]) -> plt.Figure:
    """Interest bars per cluster (posts and users)."""
    return cluster_interest_figure(cluster_profiles)
