"""Nodes of the image_features pipeline: posts → image hashes → VGG16 features and labels.

The work is in ``insta_kedro.vision.manifest`` (hashing) and ``insta_kedro.vision.features``
(encoding through the feature cache, the two contracts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from insta_kedro import vision

if TYPE_CHECKING:
    import pandas as pd


def hash_post_images(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per post: ``post_id``, ``image_path``, ``image_sha256`` and ``error``.

    ``error`` says why a post has no hash (no image, file not found, unreadable file).
    """
    return vision.build_image_manifest(posts)


def encode_post_images(image_manifest: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    """VGG16 features (and top-k labels) per post, computing only images not in the cache.

    ``parameters``: ``params:image_features`` (``cache_dir``, the encoder's settings,
    ``batch_size``, ``chunk_size``). Returns ``post_id``, ``image_sha256``, ``feature``,
    ``encoder``, ``error``, ``labels``, ``probabilities`` (see
    ``insta_kedro.vision.encode_image_manifest``).
    """
    return vision.encode_image_manifest(
        image_manifest,
        parameters["cache_dir"],
        vision.encoder_options(parameters),
        batch_size=parameters.get("batch_size", 32),
        chunk_size=parameters.get("chunk_size", 256),
    )


def split_features_and_labels(
    image_encodings: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``image_features`` and ``image_labels`` contracts (labels: one row per rank)."""
    return vision.split_features_and_labels(image_encodings)
