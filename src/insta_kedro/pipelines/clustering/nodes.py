"""Nodes of the clustering pipeline: persona clusters of posts and users, their validation,
descriptions, plots, and the characterization of every person (docs/clustering.md).

The work is done in ``insta_kedro.personas``; its heavy libraries (hdbscan, scikit-learn,
plotly, matplotlib) are imported when a node first runs, not when the pipeline is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from insta_kedro import personas

if TYPE_CHECKING:
    import matplotlib.pyplot as plt
    import pandas as pd
    import plotly.graph_objects as go

    from insta_kedro.personas.clustering import PersonaClusterer


def cluster_posts(
    post_features: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """``post_clusters`` (post_id, cluster, probability, x, y, outlier_score, membership)."""
    personas.check_level_params(params["posts"], "clustering.posts")
    return personas.cluster_vectors(post_features, "post_id", params["posts"], params["seed"])


def cluster_users(
    user_features: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, PersonaClusterer]:
    """``user_clusters`` (profile, cluster, probability, x, y, membership).

    People are clustered by ``persona_feature``, with ``min_cluster_size: auto`` resolved for
    their number. Only profiles with posts have features; people without posts are
    characterized with the persona label "no posts" (``characterize_users``), not clustered.
    """
    level = personas.user_level_params(params, len(user_features))
    personas.check_level_params(level, "clustering.users")
    return personas.cluster_people(user_features, level, params["seed"])


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
    report = personas.clustering_report(
        post_features,
        user_features,
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        demo_themes,
        params,
    )
    return report, personas.flat_metrics(report)


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
    return personas.cluster_profiles(
        posts,
        post_features,
        user_features,
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        params,
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
    params: dict[str, Any],
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
        params,
    )


def plot_cluster_maps(
    post_clusters: pd.DataFrame, user_clusters: pd.DataFrame, cluster_profiles: dict[str, Any]
) -> tuple[go.Figure, go.Figure]:
    """Interactive 2-D maps of posts and of users, coloured by cluster."""
    return personas.cluster_maps(post_clusters, user_clusters, cluster_profiles)


def plot_condensed_trees(
    post_clusterer: PersonaClusterer, user_clusterer: PersonaClusterer
) -> tuple[plt.Figure, plt.Figure]:
    """HDBSCAN condensed trees of the post and user clusterings."""
    return personas.condensed_trees(post_clusterer, user_clusterer)


def plot_cluster_interests(cluster_profiles: dict[str, Any]) -> plt.Figure:
    """Interest bars per cluster (posts and users)."""
    return personas.cluster_interest_figure(cluster_profiles)
