"""Benchmark of the image_features table written from the feature cache; prints a table.

    .venv/bin/python benchmarks/image_table.py [--posts 200000] [--layer pool] [--repeats 2]

On every run, cached or not, the ``encode_post_images`` node reads each post's feature back
from the feature cache, and the catalog writes the ``image_features`` table. This measures
that step alone on a cache filled once with ``--posts`` synthetic float32 features (512
numbers with ``--layer pool``, 4096 with ``fc2``; one image per post), merged as
``FeatureCache.compact`` leaves it; no photos and no VGG16. Each run is a new process:

- **streamed**, as now: ``vision.encode_image_manifest``, then
  ``LazyParquetDataset.save(encodings.feature_batches())``: the features are read from the
  cache 16,384 posts at a time while the file is written;
- **whole** (the baseline): the same table assembled in memory first
  (``encodings.features()``) and saved as one frame, as the node did before.

It prints each run's wall time and peak resident memory, their ratios (streamed / whole),
and checks that the two files hold the same table.
"""

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scale import output_of, peak_rss_mib

from insta_kedro.kedro_ext import LazyParquetDataset
from insta_kedro.vision import FeatureCache, encode_image_manifest, resolve_encoder_spec

CHUNK = 4096


def encoder_options(layer: str) -> dict:
    return {"weights": None, "layer": layer, "precision": "float32"}


def manifest(posts: int) -> pd.DataFrame:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(posts)]
    return pd.DataFrame(
        {
            "post_id": [f"p{i}" for i in range(posts)],
            "image_path": "unused.jpg",
            "image_sha256": hashes,
            "error": None,
        }
    )


def fill_cache(cache_dir: Path, posts: int, layer: str) -> None:
    """``posts`` synthetic rows in the cache of ``layer``'s encoder, merged into one part."""
    spec = resolve_encoder_spec(**encoder_options(layer))
    cache = FeatureCache(cache_dir, spec.cache_key, spec.describe())
    width = 512 if layer == "pool" else 4096
    rng = np.random.default_rng(0)
    hashes = manifest(posts)["image_sha256"]
    for start in range(0, posts, CHUNK):
        chunk = hashes[start : start + CHUNK]
        cache.put(
            pd.DataFrame(
                {
                    "image_sha256": chunk,
                    "feature": list(rng.random((len(chunk), width), dtype=np.float32)),
                    "labels": None,
                    "probabilities": None,
                    "error": None,
                }
            )
        )
    cache.compact(max_parts=1)


def one_run(mode: str, cache_dir: Path, posts: int, layer: str, out: Path) -> dict:
    """Read the table back from the cache and write it, as ``mode`` says; in this process."""
    frame = manifest(posts)
    started = time.perf_counter()
    encodings = encode_image_manifest(frame, cache_dir, encoder_options(layer))
    dataset = LazyParquetDataset(filepath=str(out))
    if mode == "streamed":
        dataset.save(encodings.feature_batches())
    else:
        dataset.save(encodings.features())
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_rss_mib()}


def in_new_process(mode: str, cache_dir: Path, posts: int, layer: str, out: Path) -> dict:
    command = [sys.executable, __file__, "--one", mode, str(cache_dir), str(out)]
    command += ["--posts", str(posts), "--layer", layer]
    return json.loads(output_of(command).strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--layer", choices=["pool", "fc2"], default="pool")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("MODE", "CACHE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, cache_dir, out = args.one
        result = one_run(mode, Path(cache_dir), args.posts, args.layer, Path(out))
        print(json.dumps(result))
        return

    scratch = Path(tempfile.mkdtemp(prefix="image-table-bench-"))
    try:
        started = time.perf_counter()
        fill_cache(scratch / "cache", args.posts, args.layer)
        print(
            f"cache of {args.posts:,} posts ({args.layer}) filled in "
            f"{time.perf_counter() - started:.1f} s"
        )
        runs = {"whole": [], "streamed": []}
        for _ in range(args.repeats):  # alternating, each in a new process
            for mode, done in runs.items():
                out = scratch / f"{mode}.parquet"
                done.append(in_new_process(mode, scratch / "cache", args.posts, args.layer, out))
        same = pd.read_parquet(scratch / "whole.parquet").equals(
            pd.read_parquet(scratch / "streamed.parquet")
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[mode])

    print(
        f"\nimage_features table from the cache, {args.posts:,} posts, layer {args.layer}, "
        f"medians of {args.repeats} runs, each a new process"
    )
    print(f"{'run':<28}{'seconds':>10}{'peak MiB':>12}")
    for mode, name in (("whole", "whole (baseline)"), ("streamed", "streamed (the node)")):
        print(f"{name:<28}{median(mode, 'seconds'):>10.1f}{median(mode, 'peak_mib'):>12,.0f}")
    print(
        f"{'streamed / whole':<28}"
        f"{median('streamed', 'seconds') / median('whole', 'seconds'):>9.2f}x"
        f"{median('streamed', 'peak_mib') / median('whole', 'peak_mib'):>11.2f}x"
    )
    print(f"same table in both files: {same}")


if __name__ == "__main__":
    main()
