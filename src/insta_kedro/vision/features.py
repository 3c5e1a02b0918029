"""Image features of posts: the manifest's images encoded through the feature cache, and the
``image_features`` / ``image_labels`` contracts.

Only the images the cache lacks are encoded (``insta_kedro.vision.feature_cache``), in this
process or, with a Dask engine (``insta_kedro.engine``), chunk by chunk on the cluster's
workers: each worker builds the encoder once (:func:`encode_into_cache`), writes each finished
chunk into the cache, and this process reads the table back from the cache, a batch of posts
at a time, as the ``image_features`` dataset writes it.

Example:
    >>> encodings = encode_image_manifest(
    ...     manifest, "data/04_feature/image_feature_cache", {"layer": "pool"}
    ... )
    >>> encodings.labels                # the image_labels contract, in memory
    >>> encodings.feature_batches()     # the image_features contract, read on demand
"""

import functools
import logging
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from insta_kedro.engine import LOCAL, Engine, chunked, map_chunks
from insta_kedro.engine.tables import Table, column_names, read_columns
from insta_kedro.vision.decoding import start_decoding
from insta_kedro.vision.encoder import (
    EncodedImages,
    ImageEncoder,
    encode_images,
    load_encoder,
    save_weight_set_once,
)
from insta_kedro.vision.encoder_spec import FEATURE_SIZES, EncoderSpec, resolve_encoder_spec
from insta_kedro.vision.feature_cache import CACHE_SCHEMA, CacheRows, FeatureCache
from insta_kedro.vision.manifest import hash_image
from insta_kedro.vision.provenance import tag_active_run

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ["post_id", "rank", "label", "probability"]
CACHE_COLUMNS = CACHE_SCHEMA.names
FEATURE_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("image_sha256", pa.string()),
        ("feature", pa.list_(pa.float32())),
        ("encoder", pa.string()),
        ("error", pa.string()),
    ]
)
FEATURE_COLUMNS = FEATURE_SCHEMA.names
BATCH_ROWS = 16_384
"""Posts per batch of the image_features table (one row group of the dataset), at most."""
BATCH_BYTES = 64 << 20
"""Feature bytes per batch, at most: 16,384 posts of ``pool`` features, 4,096 of ``fc2``."""
NOT_IN_CACHE = "feature not found in the cache (unreadable part)"
FILE_CHANGED = (
    "image file removed or rewritten after it was hashed (not cached: run again to encode it)"
)
# Beside the cached features: the encoder built once (insta_kedro.vision.weight_sets).
WEIGHT_SETS = "weight_sets"
SHARED_STORAGE = (
    "every machine of the cluster must see the photos and the feature cache at the paths the "
    "kedro run process uses: put them on storage shared at the same path (docs/scaling.md, "
    "'Shared storage at the same path')"
)


def _value_or_none(value: Any) -> Any:
    """Return ``None`` for a missing value (``None`` or a float NaN, as pandas writes it),
    else ``value`` unchanged."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


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


def changed_files(hashes: Sequence[str], paths: Sequence[str]) -> set[str]:
    """The hashes of ``hashes`` whose file in ``paths`` (in the same order) no longer holds
    the bytes that were hashed: removed, unreadable or rewritten since."""
    return {
        sha256 for sha256, path in zip(hashes, paths, strict=True) if hash_image(path)[1] != sha256
    }


def _put_unchanged(
    cache: FeatureCache, hashes: Sequence[str], paths: Sequence[str], encoded: EncodedImages
) -> set[str]:
    """Put the rows of images ``hashes`` (at ``paths``, encoded as ``encoded``) in ``cache``,
    but those whose file changed after it was hashed (:func:`changed_files`): their features
    or error belong to other bytes, or to none. Returns the hashes left out."""
    changed = changed_files(hashes, paths)
    rows = _cache_rows(hashes, encoded)
    cache.put(rows[~rows["image_sha256"].isin(changed)])
    return changed


def _compute_missing(
    paths_by_hash: dict[str, str],
    cache: FeatureCache,
    spec: EncoderSpec,
    batch_size: int,
    chunk_size: int,
    weight_sets: Path | None = None,
) -> set[str]:
    """Encode the images the cache lacks, chunk by chunk, storing each chunk as it is done.

    ``paths_by_hash``: image sha256 → path of the images to encode (at least one);
    ``chunk_size`` images are encoded and put in ``cache`` at a time, ``batch_size`` per
    forward pass. The first chunk starts decoding before the encoder is built, so the two
    overlap. Images that cannot be decoded are cached with their error: the same bytes
    fail again. An image whose file was removed or rewritten after it was hashed is not
    cached (:func:`_put_unchanged`). ``weight_sets``: where the encoder is saved once and read
    back by later runs (``load_encoder``). Returns the hashes of those changed files.
    """
    hashes = list(paths_by_hash)
    chunks = chunked(hashes, chunk_size)
    chunk_paths = [[paths_by_hash[h] for h in chunk] for chunk in chunks]
    first_batches = start_decoding(chunk_paths[0], spec.resize, batch_size)
    encoder = load_encoder(spec, weight_sets)
    # A live count in a terminal (None: off where output is no terminal); the stage's summary
    # line is logged by the caller.
    bar = tqdm(total=len(hashes), desc="image features", unit="image", disable=None)
    changed: set[str] = set()
    for number, (chunk, paths) in enumerate(zip(chunks, chunk_paths, strict=True)):
        encoded = encode_images(
            paths, encoder, batch_size, first_batches if number == 0 else None, bar.update
        )
        changed |= _put_unchanged(cache, chunk, paths, encoded)
    bar.close()
    return changed


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
    Returns the number of images encoded (undecodable ones included, with their error).
    Raises ``FileNotFoundError`` when this machine does not see the photos or the cache
    (:func:`check_shared_storage`): nothing is cached then, so no photo is taken for one
    that cannot be decoded. A photo whose file changed after it was hashed is not cached
    (:func:`_put_unchanged`)."""
    hashes, paths = zip(*chunk, strict=True)
    check_shared_storage(paths, Path(cache_root) / spec.cache_key)
    encoded = encode_images(list(paths), _process_encoder(spec, weight_sets), batch_size)
    cache = FeatureCache(cache_root, spec.cache_key, spec.describe())
    _put_unchanged(cache, hashes, paths, encoded)
    return len(hashes)


def check_shared_storage(paths: Sequence[str], cache_folder: Path) -> None:
    """Raise ``FileNotFoundError`` when a photo of ``paths`` is no file here, or when the
    cache folder ``cache_folder`` that the ``kedro run`` process opened (and wrote its
    ``config.json`` into) is not there: a worker whose storage is not the shared one."""
    missing = [path for path in paths if not Path(path).is_file()]
    problems = []
    if missing:
        problems.append(f"{len(missing)} of the chunk's {len(paths)} photos (e.g. {missing[0]})")
    if not (cache_folder / "config.json").is_file():
        problems.append(f"the feature cache {cache_folder}")
    if problems:
        raise FileNotFoundError(
            f"Dask worker on {socket.gethostname()} does not see {' nor '.join(problems)}: "
            f"{SHARED_STORAGE}. Nothing of this chunk was cached."
        )


def _compute_missing_on_cluster(
    paths_by_hash: dict[str, str],
    cache: FeatureCache,
    spec: EncoderSpec,
    batch_size: int,
    weight_sets: Path,
    engine: Engine,
) -> None:
    """:func:`_compute_missing` on ``engine``'s Dask cluster: chunks of ``engine.chunk_size``
    images go to the workers (:func:`encode_into_cache`), which write them into the cache.
    Paths are made absolute first, and the encoder's weight set is saved here first
    (``save_weight_set_once``). A chunk lost with its worker is done again by another (Dask's
    own retries); chunks already cached stay."""
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


def _check_workers_wrote(sent: dict[str, str], found: CacheRows, cache: FeatureCache) -> set[str]:
    """The hashes of images ``sent`` to the workers (sha256 → path) that are not in ``cache``
    because their file changed after it was hashed (:func:`changed_files`, the workers left
    them out). Raise ``FileNotFoundError`` when others, all reported done, are not in
    ``cache`` as this process reads it (``found``) although no part of it is unreadable: the
    workers wrote them into another folder than this one."""
    absent = {sha256: path for sha256, path in sent.items() if sha256 not in found.rows.index}
    changed = changed_files(list(absent), list(absent.values()))
    lost = [path for sha256, path in absent.items() if sha256 not in changed]
    if lost and not cache.unreadable_parts:
        raise FileNotFoundError(
            f"image_features on Dask: the workers encoded {len(sent)} images, but {len(lost)} "
            f"of them (e.g. {lost[0]}) are not in the feature cache {cache.folder.resolve()} "
            f"as this process sees it: {SHARED_STORAGE}."
        )
    return changed


@dataclass(frozen=True)
class ImageEncodings:
    """The posts' image features as :func:`encode_image_manifest` leaves them: the small
    columns in memory, the features in the cache until asked for.

    ``posts``: ``post_id``, ``image_sha256`` and ``error`` of every manifest row, in its
    order; ``labels``: the ``image_labels`` contract (``LABEL_COLUMNS``, one row per post and
    rank); ``encoder``: the spec's name, None when no image was encoded; ``feature_size``:
    numbers per feature; ``cached``: where the features lie in the cache.
    """

    posts: pd.DataFrame
    labels: pd.DataFrame
    encoder: str | None
    feature_size: int
    cached: CacheRows

    def feature_batches(self, batch_rows: int | None = None) -> pa.RecordBatchReader:
        """The ``image_features`` contract (``FEATURE_SCHEMA``), ``batch_rows`` posts at a
        time in the manifest's order, each batch's features read from the cache when it is
        reached: what ``LazyParquetDataset`` writes without the whole table in memory.
        ``batch_rows``: by default ``BATCH_ROWS``, fewer when their features would take more
        than ``BATCH_BYTES`` (each batch is one row group of the written file)."""
        if batch_rows is None:
            batch_rows = max(1, min(BATCH_ROWS, BATCH_BYTES // (4 * self.feature_size)))
        return pa.RecordBatchReader.from_batches(FEATURE_SCHEMA, self._batches(batch_rows))

    def _batches(self, batch_rows: int) -> Iterator[pa.RecordBatch]:
        for start in range(0, len(self.posts), batch_rows):
            chunk = self.posts.iloc[start : start + batch_rows]
            with_image = chunk["image_sha256"].where(chunk["error"].isna(), None)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(chunk["post_id"], pa.string()),
                    pa.array(chunk["image_sha256"], pa.string()),
                    self.cached.features(with_image),
                    pa.array([self.encoder] * len(chunk), pa.string()),
                    pa.array(chunk["error"], pa.string()),
                ],
                schema=FEATURE_SCHEMA,
            )

    def features(self) -> pd.DataFrame:
        """The whole ``image_features`` table in memory (``FEATURE_COLUMNS``; ``feature`` as
        float32 arrays, None without one), for small runs and inspection."""
        return self.feature_batches().read_all().to_pandas()


def _label_rows(post_ids: pd.Series, labels: pd.Series, probabilities: pd.Series) -> pd.DataFrame:
    """The ``image_labels`` contract: one row per post and rank (1 = most probable) of the
    posts whose ``labels`` are not null, with int64 ranks and float32 probabilities."""
    labelled = labels.notna().to_numpy()
    counts = labels[labelled].map(len).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "post_id": np.repeat(post_ids[labelled].to_numpy(), counts),
            "rank": np.concatenate([np.arange(1, n + 1) for n in counts] or [[]]),
            "label": [label for row in labels[labelled] for label in row],
            "probability": np.concatenate(
                [np.asarray(p, dtype=np.float32) for p in probabilities[labelled]] or [[]]
            ),
        },
        columns=LABEL_COLUMNS,
    )
    return frame.astype(
        {"post_id": object, "rank": "int64", "label": object, "probability": "float32"}
    )


def _post_rows(image_manifest: pd.DataFrame, errors: Sequence[str | None]) -> pd.DataFrame:
    """:attr:`ImageEncodings.posts`: ``post_id`` and ``image_sha256`` of each manifest row,
    with its ``error``."""
    return pd.DataFrame(
        {
            "post_id": image_manifest["post_id"].to_numpy(dtype=object),
            "image_sha256": image_manifest["image_sha256"].to_numpy(dtype=object),
            "error": errors,
        }
    )


def _without_images(image_manifest: pd.DataFrame, encoder_options: dict) -> ImageEncodings:
    """The :class:`ImageEncodings` of a manifest in which no post has a usable image: every
    row with its manifest error, no label, no encoder (null), nothing read from a cache."""
    posts = _post_rows(image_manifest, image_manifest["error"].to_numpy(dtype=object))
    logger.info(
        "image_features: %d posts, no usable image %s: nothing to encode, VGG16 not loaded",
        len(posts),
        posts["error"].value_counts().to_dict(),
    )
    nothing = pd.Series([], dtype=object)
    labels = _label_rows(posts["post_id"].iloc[:0], nothing, nothing)
    layer = encoder_options.get("layer", "fc2")
    return ImageEncodings(posts, labels, None, FEATURE_SIZES[layer], CacheRows.none())


def used_encoders(image_features: Table | None) -> list[str]:
    """The encoder names (``encoder`` column) of the rows of ``image_features`` that have a
    feature (no ``error``), sorted; empty for None, a table without an ``encoder`` column, or
    one in which no image was encoded (a download without photos)."""
    if image_features is None or "encoder" not in column_names(image_features):
        return []
    rows = read_columns(image_features, ["encoder", "error"])
    if "error" in rows:
        rows = rows[rows["error"].isna()]
    return sorted(rows["encoder"].dropna().astype(str).unique())


def encode_image_manifest(
    image_manifest: pd.DataFrame,
    cache_dir: str | Path,
    encoder_options: dict,
    batch_size: int = 32,
    chunk_size: int = 256,
    engine: Engine = LOCAL,
) -> ImageEncodings:
    """VGG16 features (and top-k labels) per post, computing only images not in the cache.

    ``image_manifest``: ``build_image_manifest``'s frame (``post_id``, ``image_path``,
    ``image_sha256``, ``error``). ``cache_dir``: the feature cache root.
    ``encoder_options``: ``resolve_encoder_spec``'s keyword arguments (see
    ``encoder_options``). ``batch_size``: images per forward pass; ``chunk_size``: images
    encoded and cached at a time (integers >= 1). ``engine``: where the missing images are
    encoded (``insta_kedro.engine``; on Dask, ``engine.chunk_size`` images per task, and the
    cache and the images must be on storage every worker reads at the same path).
    Returns an :class:`ImageEncodings`: one row per manifest row, in its order; a post whose
    image is missing or cannot be decoded keeps its row with ``error`` set and a null
    feature (a hash the cache cannot give back, from an unreadable part, gets
    ``NOT_IN_CACHE``). The features stay in the cache until read. The counts and the reasons
    are logged; an active MLflow run (a ``kedro run``) is tagged with the encoder
    (:func:`tag_active_run`), so a run of random weights says so. Raises
    ``WeightsUnavailableError`` as ``resolve_encoder_spec`` does. When no
    post has a usable image (a download made with ``--no-pictures``), nothing is encoded:
    the weights are neither fetched nor loaded, and the ``encoder`` column is null.
    """
    hashed = image_manifest[image_manifest["error"].isna()]
    if hashed.empty:
        return _without_images(image_manifest, encoder_options)
    spec = resolve_encoder_spec(**encoder_options)
    tag_active_run([spec.name])
    cache = FeatureCache(cache_dir, spec.cache_key, spec.describe())
    paths_by_hash = dict(zip(hashed["image_sha256"], hashed["image_path"], strict=True))

    started = time.perf_counter()
    found = cache.locate(paths_by_hash)
    missing = {h: p for h, p in paths_by_hash.items() if h not in found.rows.index}
    changed: set[str] = set()
    if missing and engine.distributed:
        _compute_missing_on_cluster(
            missing, cache, spec, batch_size, Path(cache_dir) / WEIGHT_SETS, engine
        )
    elif missing:
        changed = _compute_missing(
            missing, cache, spec, batch_size, chunk_size, Path(cache_dir) / WEIGHT_SETS
        )
    if missing:
        cache.compact()
        found = cache.locate(paths_by_hash)  # the new parts too
    if missing and engine.distributed:
        changed = _check_workers_wrote(missing, found, cache)
    elapsed = time.perf_counter() - started
    sha256 = image_manifest["image_sha256"].fillna("")
    rows = found.rows.reindex(sha256)
    manifest_error = image_manifest["error"].to_numpy(dtype=object)
    cache_error = rows["error"].to_numpy(dtype=object)
    absent = np.where(sha256.isin(changed), FILE_CHANGED, NOT_IN_CACHE)
    absent[~rows["part"].isna().to_numpy()] = ""
    errors = [
        given if given is not None else (gone or _value_or_none(stored))
        for given, stored, gone in zip(manifest_error, cache_error, absent.tolist(), strict=True)
    ]
    posts = _post_rows(image_manifest, errors)
    usable = posts["error"].isna().to_numpy()
    labels = _label_rows(
        posts["post_id"],
        rows["labels"].where(usable, None).reset_index(drop=True),
        rows["probabilities"].where(usable, None).reset_index(drop=True),
    )

    reasons = posts["error"].value_counts().to_dict()
    logger.info(
        "image_features (%s): %d posts, %d images: %d from the cache, %d computed in %.1f s; "
        "%d posts without a feature %s",
        spec.name,
        len(posts),
        len(paths_by_hash),
        len(paths_by_hash) - len(missing),
        len(missing),
        elapsed,
        int((~usable).sum()),
        reasons,
    )
    if cache.unreadable_parts:
        logger.warning("feature cache: %d unreadable parts ignored", cache.unreadable_parts)
    return ImageEncodings(posts, labels, spec.name, spec.feature_size, found)
