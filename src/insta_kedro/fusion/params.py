"""The ``fusion`` parameters (conf/base/parameters_fusion.yml) as types.

:class:`FusionParams` is what the fusion pipeline's nodes take for ``params:fusion``; Kedro
validates the YAML against it before any node runs, and an error names the bad setting
(``fusion.block_weights.own_text``). The domain functions of this package take the same
settings as plain values or dicts (``model_dump()``).
"""

from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from insta_kedro.kedro_ext.parameters import (
    Count,
    NonNegativeCount,
    Number,
    Section,
    Seed,
    Settings,
    Share,
    Weight,
)

Positive = Annotated[Number, Field(gt=0.0)]
"""A number > 0."""


class BlockWeights(Settings):
    """The weight of each feature block in the fused vector (>= 0, not all 0: every fused
    vector would be 0): ``image``, ``own_text``, ``gen_text`` and ``interests``."""

    image: Weight
    own_text: Weight
    gen_text: Weight
    interests: Weight

    @model_validator(mode="after")
    def _some_block_counts(self) -> Self:
        if not any(self.model_dump().values()):
            raise PydanticCustomError(
                "all_block_weights_zero",
                "Every block weight is 0: every fused vector would be 0. "
                "Give at least one block a weight above 0",
            )
        return self


class PersonaWeights(Settings):
    """The weight of each block of a person's ``persona_feature`` (>= 0): ``interests``,
    ``topics`` and ``style``."""

    interests: Weight
    topics: Weight
    style: Weight


class PersonParams(Settings):
    """A person's interests and persona vector: the shares given to the profile's category
    (``profile_category_weight``) and biography (``biography_weight``), each in [0, 1];
    ``min_interest_evidence`` (>= 0: the posts' interest evidence below which the rest of a
    person's interests is ``other``, unknown); ``interest_sharpening`` (the power interest
    shares are raised to, > 0); ``persona_weights`` (:class:`PersonaWeights`) and
    ``evidence_top_n`` (terms, hashtags and labels kept per interest, >= 0)."""

    profile_category_weight: Share
    biography_weight: Share
    min_interest_evidence: Weight
    interest_sharpening: Positive
    persona_weights: PersonaWeights
    evidence_top_n: NonNegativeCount


class AblationParams(Settings):
    """The theme-separation ablation: ``k`` neighbours and at most ``max_posts`` posts (each
    an integer >= 1)."""

    k: Count
    max_posts: Count


class FusionParams(Section):
    """``params:fusion``: ``block_weights`` (:class:`BlockWeights`), ``image_pca_components``
    (>= 1), ``image_pca_max_fit`` (the most posts the image PCA is fitted on, >= 1),
    ``image_confidence_without_labels`` (in [0, 1]), ``interest_full_weight`` (the
    matched weight from which a caption's interests count fully, > 0), ``seed`` (>= 0),
    ``person`` (:class:`PersonParams`) and ``ablation`` (:class:`AblationParams`)."""

    SECTION = "fusion"

    block_weights: BlockWeights
    image_pca_components: Count
    image_pca_max_fit: Count
    image_confidence_without_labels: Share
    interest_full_weight: Positive
    seed: Seed
    person: PersonParams
    ablation: AblationParams
