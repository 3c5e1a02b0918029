"""The ``image_features`` parameters (conf/base/parameters_image_features.yml) as types.

:class:`ImageFeaturesParams` is what the image_features and caption_model pipelines' nodes
take for ``params:image_features``; Kedro validates the YAML against it before any node runs,
and an error names the bad setting (``image_features.layer``). The domain functions of this
package take the same settings as plain values or dicts (``model_dump()``).
"""

from typing import Annotated, Literal

from pydantic import Field

from insta_kedro.kedro_ext.parameters import Count, Integer, Section, Seed

Layer = Literal["fc2", "pool"]
"""VGG16's output used as the feature: ``fc2`` (4096-d, VGG16 minus its classifier) or
``pool`` (512-d, the global average of ``block5_pool``)."""

Precision = Literal["auto", "float32", "bfloat16"]
"""The encoder's arithmetic: ``auto`` (bfloat16 where the hardware computes it natively,
else float32), ``float32`` or ``bfloat16``."""

ResizeMode = Literal["crop", "pad"]
"""How an image becomes 224 × 224: ``crop`` (shorter side to 224, centre square) or ``pad``
(longer side to 224, black bars)."""

IMAGENET_CLASSES = 1000
"""The classes VGG16's ImageNet classifier ranks."""

TopK = Annotated[Integer, Field(ge=1, le=IMAGENET_CLASSES)]
"""ImageNet labels kept per image: an integer in [1, 1000]."""


class ImageFeaturesParams(Section):
    """``params:image_features``: the encoder's ``weights`` (``imagenet``, a path to a local
    VGG16 weights file, or null for random weights), ``allow_random_weights`` (go on with
    seeded random weights when the weights cannot be had), ``random_seed`` (>= 0), ``layer``
    (:data:`Layer`), ``precision`` (:data:`Precision`), ``resize`` (:data:`ResizeMode`) and
    ``top_k`` (:data:`TopK`); the run's ``batch_size`` (images per forward pass) and
    ``chunk_size`` (images encoded and cached at a time), each >= 1; and the feature cache's
    ``cache_dir``."""

    SECTION = "image_features"

    weights: str | None
    allow_random_weights: bool
    random_seed: Seed
    layer: Layer
    precision: Precision
    resize: ResizeMode
    top_k: TopK
    batch_size: Count
    chunk_size: Count
    cache_dir: str
