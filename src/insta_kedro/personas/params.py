"""The ``clustering`` parameters (conf/base/parameters_clustering.yml) as types.

:class:`ClusteringParams` is what the clustering pipeline's nodes take for
``params:clustering``; Kedro validates the YAML against it before any node runs, and an
error names the bad setting (``clustering.users.hdbscan.min_cluster_size``). The domain
functions of this package take the same settings as plain dicts (``model_dump()``).
"""

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from insta_kedro.kedro_ext.parameters import (
    Count,
    Integer,
    NonNegativeCount,
    Number,
    Section,
    Seed,
    Settings,
    Share,
    Weight,
    one_error,
)

ReductionMethod = Literal["pca", "umap", "none"]
"""The dimension reduction before HDBSCAN: PCA, UMAP (needs the umap-learn package), or none."""

MinClusterSize = Annotated[Integer, Field(ge=2)]
"""HDBSCAN's ``min_cluster_size``: an integer >= 2."""


AutoOrMinClusterSize = Annotated[
    Literal["auto"] | MinClusterSize,
    one_error("auto_or_min_cluster_size", "Input should be 'auto' or an integer >= 2"),
]
"""``"auto"`` (resolved for the number of people, ``personas.user_level_params``, or of
posts, ``personas.post_level_params``) or a :data:`MinClusterSize`."""

AutoOrMinSamples = Annotated[
    Literal["auto"] | Count | None,
    one_error("auto_or_min_samples", "Input should be 'auto', null or an integer >= 1"),
]
"""``"auto"`` (resolved from ``min_cluster_size``, ``personas.post_level_params``), null
(HDBSCAN's default) or an integer >= 1."""


class ReductionParams(Settings):
    """The dimension reduction before HDBSCAN: ``method`` (:data:`ReductionMethod`),
    ``n_components`` (an integer >= 1 unless the method is ``none``; fewer are kept when the
    data has fewer) and UMAP's ``n_neighbors`` (>= 1), ``min_dist`` (>= 0) and ``metric``."""

    method: ReductionMethod
    n_components: Integer
    n_neighbors: Count
    min_dist: Weight
    metric: str

    @field_validator("n_components")
    @classmethod
    def _components_to_reduce_to(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("method") != "none" and value < 1:
            raise PydanticCustomError(
                "greater_than_equal",
                "Input should be greater than or equal to 1 (reduction.method is not none)",
            )
        return value


class HdbscanParams(Settings):
    """HDBSCAN's options: ``min_cluster_size`` (an integer >= 2), ``min_samples`` (an integer
    >= 1, or null for HDBSCAN's default), ``metric``, ``cluster_selection_method`` (``eom`` or
    ``leaf``), ``cluster_selection_epsilon`` (>= 0) and ``allow_single_cluster``."""

    min_cluster_size: MinClusterSize
    min_samples: Count | None
    metric: str
    cluster_selection_method: Literal["eom", "leaf"]
    cluster_selection_epsilon: Weight
    allow_single_cluster: bool


class UserHdbscanParams(HdbscanParams):
    """:class:`HdbscanParams` of the people, whose ``min_cluster_size`` may also be ``auto``."""

    min_cluster_size: AutoOrMinClusterSize


class PostHdbscanParams(HdbscanParams):
    """:class:`HdbscanParams` of the posts, whose ``min_cluster_size`` and ``min_samples``
    may also be ``auto``."""

    min_cluster_size: AutoOrMinClusterSize
    min_samples: AutoOrMinSamples


class LevelParams(Settings):
    """The clustering of one level: ``normalize`` (L2-normalize the vectors first),
    ``reduction`` (:class:`ReductionParams`) and ``hdbscan`` (:class:`HdbscanParams`)."""

    normalize: bool
    reduction: ReductionParams
    hdbscan: HdbscanParams


MaxFit = Annotated[Integer, Field(ge=2)]
"""The most posts the reduction and HDBSCAN are fitted on: an integer >= 2."""


class PostLevelParams(LevelParams):
    """:class:`LevelParams` of the posts, with ``max_fit`` (:data:`MaxFit`): above that many
    posts the reduction and HDBSCAN are fitted on a seeded random sample of ``max_fit`` posts
    (seed ``clustering.seed``) and the other posts are assigned by HDBSCAN's prediction
    (``personas.fit_persona_clusterer``); and ``membership``: whether each post gets its soft
    membership vector over the clusters (false: an empty vector, for runs too large to pay
    for it). ``hdbscan`` is a :class:`PostHdbscanParams`."""

    max_fit: MaxFit
    membership: bool
    hdbscan: PostHdbscanParams


SizeFactor = Annotated[Number, Field(gt=0.0)]
"""A multiple of the ``auto`` persona size: a number > 0."""


class UserLevelParams(LevelParams):
    """:class:`LevelParams` of the people (``hdbscan``: :class:`UserHdbscanParams`), with
    ``min_cluster_size_search``: with ``min_cluster_size: auto``, the multiples of the
    ``auto`` size (numbers > 0) at which people are clustered too, the clustering with the
    highest DBCV kept (``personas.cluster_people_by_validity``); empty: the ``auto`` size."""

    hdbscan: UserHdbscanParams
    min_cluster_size_search: list[SizeFactor]


class ValidationParams(Settings):
    """The clustering report's settings: ``stability_resamples`` (subsamples refitted for the
    stability score, >= 0), ``stability_fraction`` (the share of the points each draws, in
    (0, 1)) and ``max_points`` (the most points DBCV and the silhouette score, and the most
    points the stability subsamples are drawn from; above it, a seeded random sample, >= 1)."""

    stability_resamples: NonNegativeCount
    stability_fraction: Annotated[Number, Field(gt=0.0, lt=1.0)]
    max_points: Count


class DescriptionParams(Settings):
    """What describes a cluster: its ``top_interests``, ``top_terms`` (words and hashtags,
    each used by at least ``min_members`` of its members) and ``exemplars`` (integers >= 0,
    ``min_members`` >= 1)."""

    top_interests: NonNegativeCount
    top_terms: NonNegativeCount
    min_members: Count
    exemplars: NonNegativeCount


class CharacterizationParams(Settings):
    """What characterizes a person: their ``top_interests`` and ``representative_posts``
    (each an integer >= 0), ``min_support_share`` (in [0, 1]) and ``min_support_posts`` (an
    integer >= 0): below this share of a person's posts behind their top interest, or fewer
    posts than this, the characterization calls it thin evidence."""

    top_interests: NonNegativeCount
    representative_posts: NonNegativeCount
    min_support_share: Share
    min_support_posts: NonNegativeCount


class ClusteringParams(Section):
    """``params:clustering``: the ``seed`` (>= 0), the clustering of ``posts``
    (:class:`PostLevelParams`) and of ``users`` (:class:`UserLevelParams`), the report's
    ``validation``, the clusters' ``description`` and the people's ``characterization``."""

    SECTION = "clustering"

    seed: Seed
    posts: PostLevelParams
    users: UserLevelParams
    validation: ValidationParams
    description: DescriptionParams
    characterization: CharacterizationParams
