"""Image features of posts: the manifest's images encoded through the feature cache, and the
``image_features`` / ``image_labels`` contracts.

Only the images the cache lacks are encoded (``insta_kedro.vision.feature_cache``).

Example:
    >>> encodings = encode_image_manifest(
    ...     manifest, "data/04_feature/image_feature_cache", {"layer": "pool"}
    ... )
    >>> features, labels = split_features_and_labels(encodings)
"""

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from insta_kedro.vision.decoding import start_decoding
from insta_kedro.vision.encoder import encode_images, load_encoder
from insta_kedro.vision.encoder_spec import EncoderSpec, resolve_encoder_spec
from insta_kedro.vision.feature_cache import FeatureCache

logger = logging.getLogger(__name__)

FEATURE_COLUMNS = ["post_id", "image_sha256", "feature", "encoder", "error"]
LABEL_COLUMNS = ["post_id", "rank", "label", "probability"]
CACHE_COLUMNS = ["image_sha256", "feature", "labels", "probabilities", "error"]
# Beside the cached features: the encoder built once (insta_kedro.vision.weight_sets).
WEIGHT_SETS = "weight_sets"


def _value_or_none(value: Any) -> Any:
    """Return ``None`` for a missing value (``None`` or a float NaN, as pandas writes it),
    else ``value`` unchanged."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _float32_or_none(values: Any) -> np.ndarray | None:
    """Return ``values`` as a float32 array, or ``None`` for a missing value."""
    values = _value_or_none(values)
    return None if values is None else np.asarray(values, dtype=np.float32)


def _compute_missing(
    paths_by_hash: dict[str, str],
    cache: FeatureCache,
    spec: EncoderSpec,
    batch_size: int,
    chunk_size: int,
    weight_sets: Path | None = None,
) -> pd.DataFrame:
    """Encode the images the cache lacks, chunk by chunk, storing each chunk as it is done.

    ``paths_by_hash``: image sha256 → path of the images to encode (at least one);
    ``chunk_size`` images are encoded and put in ``cache`` at a time, ``batch_size`` per
    forward pass. The first chunk starts decoding before the encoder is built, so the two
    overlap. Images that cannot be decoded are cached with their error: the same bytes
    fail again. ``weight_sets``: where the encoder is saved once and read back by later runs
    (``load_encoder``).
    Returns the rows put in the cache (columns ``CACHE_COLUMNS``), in ``paths_by_hash`` order.
    """
    hashes = list(paths_by_hash)
    chunks = [hashes[start : start + chunk_size] for start in range(0, len(hashes), chunk_size)]
    chunk_paths = [[paths_by_hash[h] for h in chunk] for chunk in chunks]
    first_batches = start_decoding(chunk_paths[0], spec.resize, batch_size)
    encoder = load_encoder(spec, weight_sets)
    computed = [pd.DataFrame(columns=CACHE_COLUMNS)]
    # A live count in a terminal (None: off where output is no terminal); the stage's summary
    # line is logged by the caller.
    bar = tqdm(total=len(hashes), desc="image features", unit="image", disable=None)
    for number, (chunk, paths) in enumerate(zip(chunks, chunk_paths, strict=True)):
        encoded = encode_images(
            paths, encoder, batch_size, first_batches if number == 0 else None, bar.update
        )
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
    bar.close()
    return pd.concat(computed, ignore_index=True)


def encode_image_manifest(
    image_manifest: pd.DataFrame,
    cache_dir: str | Path,
    encoder_options: dict,
    batch_size: int = 32,
    chunk_size: int = 256,
) -> pd.DataFrame:
    """VGG16 features (and top-k labels) per post, computing only images not in the cache.

    ``image_manifest``: ``build_image_manifest``'s frame (``post_id``, ``image_path``,
    ``image_sha256``, ``error``). ``cache_dir``: the feature cache root.
    ``encoder_options``: ``resolve_encoder_spec``'s keyword arguments (see
    ``encoder_options``). ``batch_size``: images per forward pass; ``chunk_size``: images
    encoded and cached at a time (integers >= 1).
    Returns one row per manifest row, in its order: ``post_id``, ``image_sha256``,
    ``feature`` (float32 array), ``encoder`` (the spec's name), ``error``, ``labels`` (list of
    str) and ``probabilities`` (float32 array); a post whose image is missing or cannot be
    decoded keeps its row with ``error`` set and null feature, labels and probabilities. The
    counts and the reasons are logged. Raises ``WeightsUnavailableError`` as
    ``resolve_encoder_spec`` does.
    """
    spec = resolve_encoder_spec(**encoder_options)
    cache = FeatureCache(cache_dir, spec.cache_key, spec.describe())
    hashed = image_manifest[image_manifest["error"].isna()]
    paths_by_hash = dict(zip(hashed["image_sha256"], hashed["image_path"], strict=True))

    started = time.perf_counter()
    known = cache.get(paths_by_hash)
    cached = set(known["image_sha256"])
    missing = {h: p for h, p in paths_by_hash.items() if h not in cached}
    computed = pd.DataFrame(columns=CACHE_COLUMNS)
    if missing:
        computed = _compute_missing(
            missing, cache, spec, batch_size, chunk_size, Path(cache_dir) / WEIGHT_SETS
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
    """Split ``encode_image_manifest``'s frame into the two contracts.

    Returns ``(features, labels)``: ``features`` has the columns ``FEATURE_COLUMNS`` with a
    fresh index; ``labels`` (columns ``LABEL_COLUMNS``) has one row per post and rank
    (1 = most probable) for the posts with labels, with int64 ranks and float32
    probabilities, and is empty (with its columns) when no post has labels.
    """
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
