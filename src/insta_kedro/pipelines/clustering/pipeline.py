"""The clustering pipeline: fused features → persona clusters, profiles, characterizations."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.clustering.nodes import (
    characterize_users,
    cluster_posts,
    cluster_users,
    describe_clusters,
    plot_cluster_interests,
    plot_cluster_maps,
    plot_condensed_trees,
    validate_clustering,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=cluster_posts,
                inputs=["post_features", "params:clustering", "params:engine"],
                outputs=["post_clusters", "post_clusterer"],
                name="cluster_posts",
            ),
            Node(
                func=cluster_users,
                inputs=["user_features", "params:clustering"],
                outputs=["user_clusters", "user_clusterer"],
                name="cluster_users",
            ),
            Node(
                func=validate_clustering,
                inputs=[
                    "post_features",
                    "user_features",
                    "post_clusters",
                    "user_clusters",
                    "post_clusterer",
                    "user_clusterer",
                    "demo_themes",
                    "params:clustering",
                ],
                outputs=["clustering_report", "clustering_metrics"],
                name="validate_clustering",
            ),
            Node(
                func=describe_clusters,
                inputs=[
                    "posts",
                    "post_features",
                    "user_features",
                    "post_clusters",
                    "user_clusters",
                    "post_clusterer",
                    "user_clusterer",
                    "params:clustering",
                ],
                outputs="cluster_profiles",
                name="describe_clusters",
            ),
            Node(
                func=characterize_users,
                inputs=[
                    "posts",
                    "profiles",
                    "follows",
                    "post_features",
                    "user_features",
                    "user_clusters",
                    "cluster_profiles",
                    "generated_captions",
                    "interest_evidence",
                    "params:clustering",
                ],
                outputs="user_characterizations",
                name="characterize_users",
            ),
            Node(
                func=plot_cluster_maps,
                inputs=["post_clusters", "user_clusters", "cluster_profiles"],
                outputs=["post_cluster_map", "user_cluster_map"],
                name="plot_cluster_maps",
            ),
            Node(
                func=plot_condensed_trees,
                inputs=["post_clusterer", "user_clusterer", "cluster_profiles"],
                outputs=["post_condensed_tree", "user_condensed_tree"],
                name="plot_condensed_trees",
            ),
            Node(
                func=plot_cluster_interests,
                inputs="cluster_profiles",
                outputs="cluster_interests_plot",
                name="plot_cluster_interests",
            ),
        ],
        tags="clustering",
    )
