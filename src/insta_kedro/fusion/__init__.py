"""Confidence-weighted fusion of the feature blocks into post vectors (``model``, ``posts``),
people's interests and persona vectors (``people``), and the theme-separation check.

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
        "people": [
            "add_person_interests",
            "interest_evidence",
            "profile_interests",
            "topic_mix",
        ],
        "posts": [
            "fuse_new_posts",
            "fuse_posts",
        ],
        "theme_separation": [
            "separation_scores",
        ],
    },
)
