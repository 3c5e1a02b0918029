"""Benchmark of the Dask engine against the local one; prints a table.

    .venv/bin/python benchmarks/engine.py [--images 128] [--captions 65536] [--pairs 3]

Measures, in one run, on one machine:

- **image_features on Dask vs local**: images/s of ``vision.encode_image_manifest`` (what the
  ``encode_post_images`` node runs) on ``--images`` uncached photos, locally (TensorFlow on
  every core of this process) and on a ``LocalCluster`` of one single-threaded worker process
  per core (chunks of 32 images), as alternating pairs, each on an empty feature cache with
  the encoder's weight set already saved (as on any run after the first). The workers have
  built their encoder in a warm-up run before. The ratio is the engine's overhead on the same
  cores (target ≥ 0.85x); the speed-up comes with more machines.
- **text_features on Dask, 2 workers vs 1**: posts/s of ``text.build_post_text_features`` on
  ``--captions`` posts, in tasks of the shipped ``engine.dask.chunk_sizes.text_features``
  (conf/base/parameters_engine.yml: 4,096 posts, so 16 tasks by default), on the same
  ``LocalCluster`` scaled to 1 worker and back to 2, each warmed up by a few chunks first
  (target ≥ 1.6x: scaling, not overhead); and the local run's posts/s for reference.

Photos come from ../shared/data/instagram-dl (mirrored copies when more are asked for, as in
benchmarks/image_features.py); captions are those of benchmarks/text_features.py's synthetic
mix (``--new-tags`` at its default). Without photos the image_features rows say
``skipped: <reason>`` and the text_features rows are measured.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from image_features import DEFAULT_DATA, no_photos_reason, photo_paths, posts_frame
from text_features import synthetic_posts

from insta_kedro.engine import Engine, EngineParams, close_clients, dask_client
from insta_kedro.text import (
    InterestLexicon,
    TextFeaturesParams,
    build_post_text_features,
    fit_interest_classifier,
    fit_topic_model,
)
from insta_kedro.vision import build_image_manifest, encode_image_manifest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF = PROJECT_ROOT / "conf" / "base"
ENCODER = {"weights": None, "layer": "fc2", "precision": "auto"}
IMAGE_CHUNK = 32


def images_per_second(manifest: pd.DataFrame, weight_sets: Path, scratch: Path, engine) -> float:
    """Images/s of one run on an empty cache whose weight set is already saved."""
    cache = Path(tempfile.mkdtemp(dir=scratch))
    (cache / "weight_sets").symlink_to(weight_sets)
    started = time.perf_counter()
    encodings = encode_image_manifest(manifest, cache, ENCODER, engine=engine)
    seconds = time.perf_counter() - started
    assert encodings.posts["error"].isna().all()
    return len(manifest) / seconds


def image_rows(paths: list[str], scratch: Path, engine: Engine, pairs: int) -> list[tuple]:
    manifest = build_image_manifest(posts_frame(paths))
    warm_up = build_image_manifest(posts_frame(paths[:4]))
    first = scratch / "first"
    encode_image_manifest(warm_up, first, ENCODER)  # saves the weight set
    weight_sets = first / "weight_sets"
    encode_image_manifest(warm_up, Path(tempfile.mkdtemp(dir=scratch)), ENCODER, engine=engine)
    local, dask = [], []
    for _ in range(pairs):
        local.append(images_per_second(manifest, weight_sets, scratch, Engine()))
        dask.append(images_per_second(manifest, weight_sets, scratch, engine))
    local_rate, dask_rate = statistics.median(local), statistics.median(dask)
    ratios = [d / loc for loc, d in zip(local, dask, strict=True)]
    return [
        (f"image_features, {len(paths)} photos (medians of {pairs} pairs):", ""),
        ("  local, TensorFlow on every core", f"{local_rate:.2f} images/s"),
        (f"  dask, {os.cpu_count()} single-threaded workers", f"{dask_rate:.2f} images/s"),
        (
            "  dask / local (target ≥ 0.85x)",
            f"{dask_rate / local_rate:.2f}x (pairs {min(ratios):.2f}-{max(ratios):.2f})",
        ),
    ]


def shipped_engine(stage: str) -> Engine:
    """The Dask engine of ``stage`` as conf/base/parameters_engine.yml ships it."""
    settings = yaml.safe_load((CONF / "parameters_engine.yml").read_text())["engine"]
    return EngineParams.model_validate({**settings, "name": "dask"}).engine(stage)


def text_inputs(count: int) -> dict:
    settings = yaml.safe_load((CONF / "parameters_text_features.yml").read_text())
    params = TextFeaturesParams.model_validate(settings["text_features"])
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    posts = synthetic_posts(count, seed=0)
    captions = posts["caption"].fillna("").tolist()
    scoring = {"weight", "min_probability"}  # used when scoring, not fitting
    return {
        "posts": posts,
        "generated_captions": pd.DataFrame(
            columns=["post_id", "generated_caption", "mean_log_prob", "decoder"]
        ),
        "caption_topic_model": fit_topic_model(captions, **params.topics.model_dump()),
        "interest_lexicon": lexicon,
        "params": params.model_dump(),
        "interest_classifier": fit_interest_classifier(
            captions,
            InterestLexicon.from_config(lexicon, **params.interests.model_dump()),
            **params.interest_classifier.model_dump(exclude=scoring),
        ),
    }


def posts_per_second(inputs: dict, engine: Engine) -> float:
    started = time.perf_counter()
    build_post_text_features(**inputs, engine=engine)
    return len(inputs["posts"]) / (time.perf_counter() - started)


def text_rows(count: int, cluster, client, engine: Engine, pairs: int) -> list[tuple]:
    inputs = text_inputs(count)
    workers = len(client.scheduler_info()["workers"])
    local = posts_per_second(inputs, Engine())
    # A worker's first chunk loads word lists and models once per process: a few chunks
    # warm every worker up before each timed run.
    warm_up = {**inputs, "posts": inputs["posts"].head(engine.chunk_size * workers * 2)}
    one, many = [], []
    for _ in range(pairs):
        cluster.scale(1)
        client.wait_for_workers(1)
        while len(client.scheduler_info()["workers"]) > 1:
            time.sleep(0.1)
        posts_per_second(warm_up, engine)
        one.append(posts_per_second(inputs, engine))
        cluster.scale(workers)
        client.wait_for_workers(workers)
        posts_per_second(warm_up, engine)
        many.append(posts_per_second(inputs, engine))
    one_rate, many_rate = statistics.median(one), statistics.median(many)
    ratios = [m / o for o, m in zip(one, many, strict=True)]
    return [
        (f"text_features, {count:,} posts (medians of {pairs} pairs):", ""),
        ("  local (this process)", f"{local:.0f} posts/s"),
        ("  dask, 1 worker", f"{one_rate:.0f} posts/s"),
        (f"  dask, {workers} workers", f"{many_rate:.0f} posts/s"),
        (
            f"  {workers} workers / 1 worker (target ≥ 1.6x)",
            f"{many_rate / one_rate:.2f}x (pairs {min(ratios):.2f}-{max(ratios):.2f})",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--captions", type=int, default=65536)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)

    scratch = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    try:
        client = dask_client(None)  # a LocalCluster: one single-threaded worker per core
        engine = Engine(name="dask", chunk_size=IMAGE_CHUNK)
        reason = no_photos_reason(args.data)
        if reason:
            rows = [("image_features", f"skipped: {reason}")]
        else:
            paths = photo_paths(args.data, args.images, scratch)
            rows = image_rows(paths, scratch, engine, args.pairs)
        text_engine = shipped_engine("text_features")
        rows += text_rows(args.captions, client.cluster, client, text_engine, args.pairs)
    finally:
        close_clients()
        shutil.rmtree(scratch, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure'.ljust(width)}  value\n{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
