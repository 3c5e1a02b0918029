"""Nodes of the image_features pipeline: posts → image hashes → VGG16 features and labels."""

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from insta_kedro.vision import (
    FeatureCache,
    encode_images,
    encoder_options,
    hash_file,
    load_encoder,
    resolve_encoder_spec,
    start_decoding,
)

logger = logging.getLogger(__name__)

# ingestion leaves image_path null when no image file of the post decodes; its report says why
NO_IMAGE = "no usable image (see ingestion_report: skipped_files)"
FILE_NOT_FOUND = "image file not found"
UNREADABLE_FILE = "cannot read image file"
FEATURE_COLUMNS = ["post_id", "image_sha256", "feature", "encoder", "error"]
LABEL_COLUMNS = ["post_id", "rank", "label", "probability"]
# In the cache root: the weights file's hashes, so an unchanged file is not re-read each run.
WEIGHTS_HASH_MEMO = "weights_file_hashes.json"
# In the cache root: the encoder's weights as built, mapped from disk by later runs.
PREPARED_WEIGHTS = "prepared_weights"


def _hash_image(image_path: Any) -> tuple[str | None, str | None, str | None]:
    """(path, sha256, error) of one post's image."""
    if not isinstance(image_path, str) or not image_path.strip():
        return None, None, NO_IMAGE
    path = Path(image_path)
    if not path.is_file():
        return image_path, None, FILE_NOT_FOUND
    try:
        return image_path, hash_file(path, ("sha256",))["sha256"], None
    except OSError:
        return image_path, None, UNREADABLE_FILE


def _value_or_none(value: Any) -> Any:
    """None for a missing value (None or a float NaN, as pandas writes it)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _float32_or_none(values: Any) -> np.ndarray | None:
    values = _value_or_none(values)
    return None if values is None else np.asarray(values, dtype=np.float32)


def hash_post_images(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per post: ``post_id``, ``image_path``, ``image_sha256`` and ``error``.

    ``error`` says why a post has no hash (no image, file not found, unreadable file).
    """
    hashed = [_hash_image(path) for path in posts["image_path"]]
    manifest = pd.DataFrame(hashed, columns=["image_path", "image_sha256", "error"], dtype=object)
    manifest.insert(0, "post_id", posts["post_id"].to_numpy())
    return manifest


CACHE_COLUMNS = ["image_sha256", "feature", "labels", "probabilities", "error"]


def _compute_missing(
    paths_by_hash: dict[str, str],
    cache: FeatureCache,
    spec,
    batch_size: int,
    chunk_size: int,
    prepared_weights_dir: Path | None,
) -> pd.DataFrame:
    """Encode the images the cache lacks, chunk by chunk, storing each chunk as it is done.

    The first chunk starts decoding before the encoder is built, so the two overlap.
    Images that cannot be decoded are cached with their error: the same bytes fail again.
    """
    hashes = list(paths_by_hash)
    chunks = [hashes[start : start + chunk_size] for start in range(0, len(hashes), chunk_size)]
    chunk_paths = [[paths_by_hash[h] for h in chunk] for chunk in chunks]
    first_batches = start_decoding(chunk_paths[0], spec.resize, batch_size)
    encoder = load_encoder(spec, prepared_weights_dir)
    computed = [pd.DataFrame(columns=CACHE_COLUMNS)]
    for number, (chunk, paths) in enumerate(zip(chunks, chunk_paths, strict=True)):
        encoded = encode_images(paths, encoder, batch_size, first_batches if number == 0 else None)
        records = []
        for i, (sha256, error) in enumerate(zip(chunk, encoded.errors, strict=True)):
            labelled = error is None and encoded.labels is not None
            records.append(
                {
                    "image_sha256": sha256,
                    "feature": encoded.features[i] if error is None else None,
                    "labels": encoded.labels[i] if labelled else None,
                    "probabilities": encoded.probabilities[i] if labelled else None,
                    "error": error,
                }
            )
        rows = pd.DataFrame(records, columns=CACHE_COLUMNS)
        cache.put(rows)
        computed.append(rows)
    return pd.concat(computed, ignore_index=True)


def encode_post_images(image_manifest: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    """VGG16 features (and top-k labels) per post, computing only images not in the cache.

    Returns ``post_id``, ``image_sha256``, ``feature``, ``encoder``, ``error``, ``labels``,
    ``probabilities``; a post whose image is missing or cannot be decoded keeps its row with
    ``error`` set and a null feature, and the reasons are counted in the log.
    """
    spec = resolve_encoder_spec(
        **encoder_options(parameters), hash_memo=Path(parameters["cache_dir"]) / WEIGHTS_HASH_MEMO
    )
    cache = FeatureCache(parameters["cache_dir"], spec.cache_key, spec.describe())
    hashed = image_manifest[image_manifest["error"].isna()]
    paths_by_hash = dict(zip(hashed["image_sha256"], hashed["image_path"], strict=True))

    started = time.perf_counter()
    known = cache.get(paths_by_hash)
    cached = set(known["image_sha256"])
    missing = {h: p for h, p in paths_by_hash.items() if h not in cached}
    computed = pd.DataFrame(columns=CACHE_COLUMNS)
    if missing:
        computed = _compute_missing(
            missing,
            cache,
            spec,
            int(parameters.get("batch_size", 32)),
            int(parameters.get("chunk_size", 256)),
            Path(parameters["cache_dir"]) / PREPARED_WEIGHTS
            if parameters.get("prepared_weights", True)
            else None,
        )
        cache.compact()
    elapsed = time.perf_counter() - started

    rows = pd.concat([known, computed], ignore_index=True)
    by_hash = {row["image_sha256"]: row for row in rows.to_dict("records")}
    nothing = dict.fromkeys(CACHE_COLUMNS)
    found = [
        nothing if error is not None else by_hash[sha256]
        for sha256, error in zip(
            image_manifest["image_sha256"], image_manifest["error"], strict=True
        )
    ]
    encodings = image_manifest[["post_id", "image_sha256"]].copy()
    encodings["error"] = [
        error if error is not None else _value_or_none(row["error"])
        for error, row in zip(image_manifest["error"], found, strict=True)
    ]
    encodings["feature"] = [_float32_or_none(row["feature"]) for row in found]
    encodings["labels"] = [
        None if _value_or_none(row["labels"]) is None else list(row["labels"]) for row in found
    ]
    encodings["probabilities"] = [_float32_or_none(row["probabilities"]) for row in found]
    ok = encodings["error"].isna()
    encodings["encoder"] = spec.name

    reasons = encodings["error"].value_counts().to_dict()
    logger.info(
        "image_features (%s): %d posts, %d images: %d from the cache, %d computed in %.1f s; "
        "%d posts without a feature %s",
        spec.name,
        len(encodings),
        len(paths_by_hash),
        len(known),
        int(computed["error"].isna().sum()),
        elapsed,
        int((~ok).sum()),
        reasons,
    )
    if cache.unreadable_parts:
        logger.warning("feature cache: %d unreadable parts ignored", cache.unreadable_parts)
    return encodings[FEATURE_COLUMNS + ["labels", "probabilities"]]


def split_features_and_labels(
    image_encodings: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``image_features`` and ``image_labels`` contracts (labels: one row per rank)."""
    features = image_encodings[FEATURE_COLUMNS].reset_index(drop=True)
    labelled = image_encodings.dropna(subset=["labels"])
    labels = pd.DataFrame(
        {
            "post_id": np.repeat(labelled["post_id"].to_numpy(), labelled["labels"].map(len)),
            "rank": [rank for row in labelled["labels"] for rank in range(1, len(row) + 1)],
            "label": [label for row in labelled["labels"] for label in row],
            "probability": [p for row in labelled["probabilities"] for p in row],
        },
        columns=LABEL_COLUMNS,
    )
    labels = labels.astype(
        {"post_id": object, "rank": "int64", "label": object, "probability": "float32"}
    )
    return features, labels
