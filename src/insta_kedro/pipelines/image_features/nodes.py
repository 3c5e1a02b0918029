"""Nodes of the image_features pipeline: posts → image hashes → VGG16 features and labels.

The work is in ``insta_kedro.vision.manifest`` (hashing) and ``insta_kedro.vision.features``
(encoding through the feature cache, the two contracts). ``params:image_features`` comes as
a ``vision.ImageFeaturesParams``, which Kedro validates before any node runs; the domain gets
plain values. Kedro resolves every node's type hints (``typing.get_type_hints``), so the names
they use are imported at run time.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from insta_kedro import engine, vision


def hash_post_images(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per post: ``post_id``, ``image_path``, ``image_sha256`` and ``error``.

    ``error`` says why a post has no hash (no image, file not found, unreadable file).
    """
    return vision.build_image_manifest(posts)


def encode_post_images(
    image_manifest: pd.DataFrame,
    params: vision.ImageFeaturesParams,
    engine_params: engine.EngineParams,
) -> tuple[pa.RecordBatchReader, pd.DataFrame]:
    """VGG16 features and top-k labels per post, computing only images not in the cache.

    ``params``: ``params:image_features`` (``cache_dir``, the encoder's settings,
    ``batch_size``, ``chunk_size``); ``engine_params``: ``params:engine`` (where the missing
    images are encoded). Returns the two contracts (see
    ``insta_kedro.vision.encode_image_manifest``): ``image_features`` (``post_id``,
    ``image_sha256``, ``feature``, ``encoder``, ``error``) as batches read from the cache
    while the dataset writes them, and ``image_labels`` (``post_id``, ``rank``, ``label``,
    ``probability``).
    """
    encodings = vision.encode_image_manifest(
        image_manifest,
        params.cache_dir,
        vision.encoder_options(params.model_dump()),
        batch_size=params.batch_size,
        chunk_size=params.chunk_size,
        engine=engine_params.engine("image_features"),
    )
    return encodings.feature_batches(), encodings.labels
