"""Confidence-weighted fusion of the feature blocks into post vectors (``model``, ``posts``),
people's interests, evidence and persona vectors (``people``), the ``user_features`` rows
(``users``), the theme-separation check and ablation (``theme_separation``), and the typed
``fusion`` parameters (``params``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "model": [
            "FusionModel",
            "l2_normalize",
        ],
        "params": [
            "AblationParams",
            "BlockWeights",
            "FusionParams",
            "PersonParams",
            "PersonaWeights",
        ],
        "people": [
            "PersonSlices",
            "add_person_interests",
            "collect_interest_evidence",
            "interest_evidence",
            "person_slices",
            "profile_interests",
            "topic_mix",
        ],
        "posts": [
            "build_post_features_and_model",
            "fuse_new_posts",
            "fuse_posts",
        ],
        "theme_separation": [
            "ablation_note",
            "evaluate_theme_separation",
            "separation_scores",
        ],
        "users": [
            "build_user_features",
            "known_counts",
            "user_rows",
        ],
    },
)
