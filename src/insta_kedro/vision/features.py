"""Image features of posts: the manifest's images encoded through the feature cache, and the
``image_features`` / ``image_labels`` contracts.

Only the images the cache lacks are encoded (``insta_kedro.vision.feature_cache``), in this
process or, with a Dask engine (``insta_kedro.engine``), chunk by chunk on the cluster's
workers: each worker builds the encoder once (:func:`encode_into_cache`), writes each finished
chunk into the cache, and this process reads the table back from the cache.

Example:
    >>> encodings = encode_image_manifest(
    ...     manifest, "data/04_feature/image_feature_cache", {"layer": "pool"}
    ... )
    >>> features, labels = split_features_and_labels(encodings)
"""

import functools
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from insta_kedro.engine import LOCAL, Engine, chunked, map_chunks
from insta_kedro.vision.decoding import start_decoding
from insta_kedro.vision.encoder import (
    EncodedImages,
    ImageEncoder,
    encode_images,
    load_encoder,
    save_weight_set_once,
)
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


def _cache_rows(hashes: Sequence[str], encoded: EncodedImages) -> pd.DataFrame:
    """The cache's rows (columns ``CACHE_COLUMNS``) of images ``hashes`` encoded as
    ``encoded``; an image that could not be decoded keeps its error."""
    records = []
    for i, (sha256, error) in enumerate(zip(hashes, encoded.errors, strict=True)):
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
    return pd.DataFrame(records, columns=CACHE_COLUMNS)


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
    chunks = chunked(hashes, chunk_size)
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
        rows = _cache_rows(chunk, encoded)
        cache.put(rows)
        computed.append(rows)
    bar.close()
    return pd.concat(computed, ignore_index=True)


@functools.lru_cache(maxsize=1)
def _process_encoder(spec: EncoderSpec, weight_sets: str | None) -> ImageEncoder:
    """The encoder of ``spec``, built once per process (a Dask worker keeps it for the
    chunks that follow)."""
    return load_encoder(spec, weight_sets)


def encode_into_cache(
    chunk: Sequence[tuple[str, str]],
    cache_root: str,
    spec: EncoderSpec,
    batch_size: int,
    weight_sets: str | None,
) -> int:
    """The unit of work of a Dask worker: encode ``chunk`` (pairs of image sha256 and
    absolute path) with the process's encoder of ``spec`` and put the rows in the feature
    cache at ``cache_root`` (shared by the cluster), as one part written atomically.
    Returns the number of images encoded (undecodable ones included, with their error)."""
    hashes, paths = zip(*chunk, strict=True)
    encoded = encode_images(list(paths), _process_encoder(spec, weight_sets), batch_size)
    FeatureCache(cache_root, spec.cache_key, spec.describe()).put(_cache_rows(hashes, encoded))
    return len(hashes)


def _compute_missing_on_cluster(
    paths_by_hash: dict[str, str],
    cache: FeatureCache,
    spec: EncoderSpec,
    batch_size: int,
    weight_sets: Path,
    engine: Engine,
) -> pd.DataFrame:
    """:func:`_compute_missing` on ``engine``'s Dask cluster: chunks of ``engine.chunk_size``
    images go to the workers (:func:`encode_into_cache`), which write them into the cache;
    the rows are then read back from it (columns ``CACHE_COLUMNS``). Paths are made absolute
    first, and the encoder's weight set is saved here first (``save_weight_set_once``). A
    chunk lost with its worker is done again by another (Dask's own retries); chunks already
    cached stay."""
    pairs = [(h, str(Path(p).resolve())) for h, p in paths_by_hash.items()]
    save_weight_set_once(spec, weight_sets)  # drawn or read here once; the workers map it
    bar = tqdm(total=len(pairs), desc="image features (dask)", unit="image", disable=None)
    map_chunks(
        encode_into_cache,
        chunked(pairs, engine.chunk_size),
        engine,
        on_result=bar.update,
        gpu=True,
        cache_root=str(cache.root.resolve()),
        spec=spec,
        batch_size=batch_size,
        weight_sets=str(weight_sets.resolve()),
    )
    bar.close()
    return cache.get(paths_by_hash)


def encode_image_manifest(
    image_manifest: pd.DataFrame,
    cache_dir: str | Path,
    encoder_options: dict,
    batch_size: int = 32,
    chunk_size: int = 256,
    engine: Engine = LOCAL,
) -> pd.DataFrame:
    """VGG16 features (and top-k labels) per post, computing only images not in the cache.

    ``image_manifest``: ``build_image_manifest``'s frame (``post_id``, ``image_path``,
    ``image_sha256``, ``error``). ``cache_dir``: the feature cache root.
    ``encoder_options``: ``resolve_encoder_spec``'s keyword arguments (see
    ``encoder_options``). ``batch_size``: images per forward pass; ``chunk_size``: images
    encoded and cached at a time (integers >= 1). ``engine``: where the missing images are
    encoded (``insta_kedro.engine``; on Dask, ``engine.chunk_size`` images per task, and the
    cache and the images must be on storage every worker reads at the same path).
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
    if missing and engine.distributed:
        computed = _compute_missing_on_cluster(
            missing, cache, spec, batch_size, Path(cache_dir) / WEIGHT_SETS, engine
        )
        cache.compact()
    elif missing:
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
