"""Nodes of the clustering pipeline: persona clusters of posts and users, their validation,
descriptions, plots, and the characterization of every person (docs/clustering.md).

Each node takes ``params:clustering`` as a ``personas.ClusteringParams`` (and ``cluster_posts``
``params:engine`` as an ``engine.EngineParams``), which Kedro validates before any node runs,
and calls ``insta_kedro.personas`` with plain values. Its heavy libraries (hdbscan,
scikit-learn, plotly, matplotlib) are imported when a node first runs, not when the pipeline
is built. A fitted clusterer (``personas.PersonaClusterer``), a plotly
figure and a matplotlib figure are annotated ``Any``: Kedro resolves every node's type hints
(``typing.get_type_hints``) to validate parameters, and a hint naming them would import
hdbscan, plotly or matplotlib.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import engine, personas


def cluster_posts(
    post_features: pd.DataFrame,
    params: personas.ClusteringParams,
    engine_params: engine.EngineParams,
) -> tuple[pd.DataFrame, Any]:
    """``post_clusters`` (post_id, cluster, probability, x, y, outlier_score, membership) and
    the fitted ``post_clusterer``.

    ``auto`` HDBSCAN settings are resolved for the number of posts fitted on. Above
    ``clustering.posts.max_fit`` posts, HDBSCAN is fitted on a sample of them and the others
    are assigned by prediction in chunks on the engine of ``params:engine``.
    """
    level = personas.post_level_params(params.model_dump(), len(post_features))
    return personas.cluster_vectors(
        post_features, "post_id", level, params.seed, engine_params.engine("clustering")
    )


def cluster_users(
    user_features: pd.DataFrame, params: personas.ClusteringParams
) -> tuple[pd.DataFrame, Any]:
    """``user_clusters`` (profile, cluster, probability, x, y, membership) and the fitted
    ``user_clusterer``.

    People are clustered by ``persona_feature``, with ``min_cluster_size: auto`` resolved for
    their number and searched around it (``clustering.users.min_cluster_size_search``, the
    highest DBCV kept). Only profiles with posts have features; people without posts are
    characterized with the persona label "no posts" (``characterize_users``), not clustered.
    """
    return personas.cluster_people_by_validity(user_features, params.model_dump())


def validate_clustering(
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: Any,
    user_clusterer: Any,
    demo_themes: dict[str, Any],
    params: personas.ClusteringParams,
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """``clustering_report`` and its MLflow metrics (``clustering.<level>.<score>``).

    DBCV, silhouette (non-noise), noise share, subsample stability, and ARI/NMI against the
    demo ground truth when there is one.
    """
    report = personas.clustering_report(
        post_features,
        user_features,
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        demo_themes,
        params.model_dump(),
    )
    return report, personas.flat_metrics(report)


def describe_clusters(
    posts: pd.DataFrame,
    post_features: pd.DataFrame,
    user_features: pd.DataFrame,
    post_clusters: pd.DataFrame,
    user_clusters: pd.DataFrame,
    post_clusterer: Any,
    user_clusterer: Any,
    params: personas.ClusteringParams,
) -> dict[str, Any]:
    """``cluster_profiles``: ``{"posts": {id: C}, "users": {id: C}}`` (noise under "-1")."""
    return personas.cluster_profiles(
        posts,
        post_features,
        user_features,
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        params.model_dump(),
    )


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
    params: personas.ClusteringParams,
) -> dict[str, Any]:
    """``user_characterizations``: ``{profile: U}`` for every profile, with or without posts.

    ``interest_evidence`` of each of a person's top interests (terms, hashtags, labels,
    profile category) comes with the interests, so a reader sees why.
    """
    return personas.user_characterizations(
        posts,
        profiles,
        follows,
        post_features,
        user_features,
        user_clusters,
        cluster_profiles,
        generated_captions,
        interest_evidence,
        params.model_dump(),
    )


def plot_cluster_maps(
    post_clusters: pd.DataFrame, user_clusters: pd.DataFrame, cluster_profiles: dict[str, Any]
) -> tuple[Any, Any]:
    """Interactive 2-D maps of posts and of users, coloured by cluster (plotly figures)."""
    return personas.cluster_maps(post_clusters, user_clusters, cluster_profiles)


def plot_condensed_trees(
    post_clusterer: Any, user_clusterer: Any, cluster_profiles: dict[str, Any]
) -> tuple[Any, Any]:
    """HDBSCAN condensed trees of the post and user clusterings (matplotlib figures), titled
    with what ``cluster_profiles`` say of the image features (random weights, mixed encoders)."""
    return personas.condensed_trees(post_clusterer, user_clusterer, cluster_profiles)


def plot_cluster_interests(cluster_profiles: dict[str, Any]) -> Any:
    """Interest bars per cluster (posts and users), a matplotlib figure."""
    return personas.cluster_interest_figure(cluster_profiles)
