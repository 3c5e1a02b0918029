"""Persona clustering (HDBSCAN) of posts and people, its validation, descriptions, plots,
the characterization of a person, the assignment of new posts, and the typed ``clustering``
parameters (``params``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "assignment": [
            "assign_new_posts",
        ],
        "characterization": [
            "FollowLists",
            "InterestTable",
            "circle_summary",
            "interest_weights",
            "posting_behaviour",
            "representative_posts",
            "user_characterizations",
        ],
        "clustering": [
            "NOISE",
            "PersonaClusterer",
            "cluster_people",
            "cluster_vectors",
            "fit_persona_clusterer",
            "fit_sample",
            "persona_frame",
            "post_level_params",
            "predict_points",
            "stack_vectors",
            "user_level_params",
        ],
        "description": [
            "NOT_CLUSTERED_LABEL",
            "NO_POSTS_LABEL",
            "caption_hashtags",
            "caption_words",
            "class_tfidf",
            "cluster_label",
            "cluster_profiles",
            "describe_level",
            "exemplars",
            "interest_columns",
            "member_tokens",
            "top_interests",
        ],
        "params": [
            "AutoOrMinClusterSize",
            "AutoOrMinSamples",
            "CharacterizationParams",
            "ClusteringParams",
            "DescriptionParams",
            "HdbscanParams",
            "LevelParams",
            "MaxFit",
            "MinClusterSize",
            "PostHdbscanParams",
            "PostLevelParams",
            "ReductionMethod",
            "ReductionParams",
            "UserHdbscanParams",
            "UserLevelParams",
            "ValidationParams",
        ],
        "selection": [
            "candidate_sizes",
            "cluster_people_by_validity",
        ],
        "placement": [
            "Placement",
            "place_points",
        ],
        "plots": [
            "cluster_interest_figure",
            "cluster_map",
            "cluster_maps",
            "condensed_tree_figure",
            "condensed_trees",
        ],
        "validation": [
            "bootstrap_stability",
            "bounded_rows",
            "clustering_report",
            "clustering_scores",
            "flat_metrics",
            "reduced_vectors",
            "validate_level",
        ],
    },
)
