"""Benchmark of the image_features pipeline on real photos; prints a table.

    .venv/bin/python benchmarks/image_features.py [--images 64] [--memory-images 512]

Measures, in one run: images/s of a baseline (one image read and predicted at a time,
float32) against the pipeline's encoding (``vision.encode_image_manifest`` on
``vision.build_image_manifest``, what the ``encode_post_images`` node runs: hashing, cache,
model build, tf.data batches) in float32 and bfloat16; median cosine similarity of bfloat16
vs float32 features;
the re-run time after adding 2 new images to the cached ones against the full run's, as
alternating pairs of a full run on an empty cache and its re-run, with random weights
(bfloat16 and float32, and with each run in a new process, as each ``kedro run`` is); the
same with a weights file (the ImageNet case: the file is fingerprinted on every run) and
with every image cached; the peak resident memory of a fresh process for a small and a large
run; and, with a GPU, fc2 images/s at batch 64 and 256 in bfloat16.
No ImageNet download here: the weights are seeded random ones, or a 528 MB file of random
values in the ImageNet file's layout (Keras-2 HDF5 of ``keras.applications.VGG16``); speed
and memory do not depend on the weights' values.

Every timed section starts after ``gc.collect()`` (outside its timing): a Keras model is
freed only by Python's cycle collector, and an earlier section's VGG16 still in memory would
make the next one's allocations touch new memory, which is slow on a virtual machine. A new
``kedro run`` starts without it.

The end-to-end ratio to the baseline compares like with like: the baseline is the first
model of this process, so it pays TensorFlow's first-time work (first trace, first kernels,
first touch of memory); the node's runs in this process come after it and are warmed up. The
ratio held to the target is therefore the node in a new process (TensorFlow and Keras
imported before the timing, as for the baseline); the in-process ratio is printed after it.

Photos come from ../shared/data/instagram-dl (read in place; ``--data`` another download).
When more images are asked for than the folder has, the extra ones are mirrored copies
written to a temporary folder (new bytes, so new hashes: the cache cannot serve them).
Without photos the script prints ``skipped: <reason>`` and exits 0.
"""

import argparse
import gc
import logging
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from PIL import Image, ImageOps
from scale import output_of

from insta_kedro.vision import (
    ImageFeaturesParams,
    build_image_manifest,
    encode_image_manifest,
    encoder_options,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RERUNS = 5  # re-runs (and full runs) of each kind; their medians are reported
DEFAULT_DATA = PROJECT_ROOT / ".." / "shared" / "data" / "instagram-dl"


def real_photos(data: Path) -> list[str]:
    """The photos of the instaloader download ``data`` (``*/*.jpg``, profile pictures left
    out), sorted; none when the folder is absent."""
    return sorted(str(p) for p in data.glob("*/*.jpg") if "profile_pic" not in p.name)


def no_photos_reason(data: Path) -> str | None:
    """Why ``data`` cannot be benchmarked (no photos, or no such folder), or None."""
    if not data.is_dir():
        return f"no folder {data}: pass --data <an instaloader download>"
    if not real_photos(data):
        return f"no photos in {data}/*/*.jpg: pass --data <an instaloader download>"
    return None


def photo_paths(data: Path, count: int, scratch: Path) -> list[str]:
    """``count`` distinct photos: the real ones first, then mirrored copies in ``scratch``."""
    real = real_photos(data)
    if not real:
        raise SystemExit(f"error: {no_photos_reason(data)}")
    paths = real[:count]
    for index in range(count - len(paths)):
        source = real[index % len(real)]
        copy = scratch / f"mirror_{index}.jpg"
        with Image.open(source) as image:
            ImageOps.mirror(image.convert("RGB")).save(copy, quality=90 - index // len(real))
        paths.append(str(copy))
    return paths


def posts_frame(paths: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"post_id": [f"bench{i}" for i in range(len(paths))], "image_path": paths})


def parameters(
    cache_dir: Path,
    precision: str,
    layer: str = "fc2",
    batch_size: int = 32,
    weights: str | None = None,
) -> ImageFeaturesParams:
    """The shipped ``image_features`` settings with these, typed as Kedro hands them to the
    node."""
    shipped = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_image_features.yml").read_text())
    settings = {
        "weights": weights,
        "layer": layer,
        "precision": precision,
        "batch_size": batch_size,
        "chunk_size": 256,
        "cache_dir": str(cache_dir),
    }
    return ImageFeaturesParams.model_validate({**shipped["image_features"], **settings})


def weights_file_like_imagenet(folder: Path) -> Path:
    """VGG16 weights (random values) saved in the layout of Keras's ImageNet file."""
    import h5py
    import keras
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path = folder / "vgg16_weights_random_values.h5"
    with h5py.File(path, "w") as group:
        save_weights_to_hdf5_group(group, keras.applications.VGG16(weights=None))
    return path


def median_rerun(run: Callable[[list[str]], float], images: list[str], new: list[str]) -> float:
    """Median seconds of ``RERUNS`` re-runs, each with 2 more new images than the one before."""
    return statistics.median(run(images + new[: 2 * k]) for k in range(1, RERUNS + 1))


def full_runs_and_reruns(
    run: Callable[[list[str], Path], float], images: list[str], new: list[str], caches: Path
) -> tuple[list[float], list[float]]:
    """Seconds of ``RERUNS`` full runs, each on an empty cache (``caches``/0, 1, ...), and of
    the re-run that follows each on its cache with 2 new images. Pairs alternate, so a change
    of the machine's speed (it is shared) moves both sides of a ratio alike."""
    caches.mkdir()
    full_runs, reruns = [], []
    for k in range(RERUNS):
        full_runs.append(run(images, caches / str(k)))
        reruns.append(run(images + new[2 * k : 2 * k + 2], caches / str(k)))
    return full_runs, reruns


def weights_file_reruns(
    images: list[str], new_images: list[str], weights: Path, scratch: Path
) -> dict[str, float]:
    """Seconds of runs with a weights file: the full run, the median of re-runs with 2 new
    images, and a run with every image cached (there, fingerprinting the file is all the
    work)."""
    params = parameters(scratch / "cache_file", "bfloat16", weights=str(weights))
    seconds = {"full": run_node(images, params)[0]}
    seconds["rerun"] = median_rerun(lambda paths: run_node(paths, params)[0], images, new_images)
    seconds["cached"] = run_node(images + new_images, params)[0]
    return seconds


def run_node(paths: list[str], params: ImageFeaturesParams) -> tuple[float, pd.DataFrame]:
    """Seconds of what the ``encode_post_images`` node does for ``paths`` (manifest, encoding
    of the uncached images, the features read back from the cache as the catalog writes them),
    and the ``image_features`` table it gives."""
    gc.collect()  # outside the timing: see the module's docstring
    started = time.perf_counter()
    encodings = encode_image_manifest(
        build_image_manifest(posts_frame(paths)),
        params.cache_dir,
        encoder_options(params.model_dump()),
        batch_size=params.batch_size,
        chunk_size=params.chunk_size,
    )
    table = encodings.features()
    return time.perf_counter() - started, table


def run_this_script(*arguments: str) -> float:
    """Run this benchmark in a new process with ``arguments``: the number it prints last."""
    output = output_of([sys.executable, __file__, *arguments])
    return float(output.strip().splitlines()[-1])


def node_in_fresh_process(paths: list[str], cache_dir: Path, precision: str) -> float:
    """Seconds of the node in a new process, as each ``kedro run`` is one; TensorFlow and
    Keras are imported before the timing starts (the same for every run)."""
    listing = cache_dir.with_suffix(".paths.txt")
    listing.write_text("\n".join(paths))
    return run_this_script(
        "--node-run", str(listing), "--cache-dir", str(cache_dir), "--precision", precision
    )


def node_run(listing: Path, cache_dir: Path, precision: str) -> None:
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    seconds, _ = run_node(listing.read_text().splitlines(), parameters(cache_dir, precision))
    print(seconds)


def share_of_full_run(seconds: float, full_run: float) -> str:
    return f"{seconds:.2f} s = {100 * seconds / full_run:.0f} % of the full run"


def share_of_full_runs(full_runs: list[float], reruns: list[float]) -> str:
    """Median re-run as a share of the median full run, and the range of the pairs' shares."""
    full_run, rerun = statistics.median(full_runs), statistics.median(reruns)
    shares = [100 * r / f for f, r in zip(full_runs, reruns, strict=True)]
    return (
        f"{share_of_full_run(rerun, full_run)} ({full_run:.2f} s); "
        f"pairs {min(shares):.0f}-{max(shares):.0f} %"
    )


def baseline_way(paths: list[str]) -> tuple[float, float]:
    """The original loop: VGG16 from keras.applications, then load_img → img_to_array →
    preprocess → predict, one image at a time.

    Returns (seconds end to end, model build included; seconds of the loop alone, warmed up).
    """
    import keras

    gc.collect()
    started = time.perf_counter()
    vgg16 = keras.applications.VGG16(weights=None)
    model = keras.Model(vgg16.input, vgg16.layers[-2].output)  # "VGG16 minus the last layer"
    model.predict(np.zeros((1, 224, 224, 3), np.float32), verbose=0)  # warm-up
    loop_started = time.perf_counter()
    for path in paths:
        image = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(224, 224)))
        batch = keras.applications.vgg16.preprocess_input(np.expand_dims(image, 0))
        model.predict(batch, verbose=0)
    finished = time.perf_counter()
    return finished - started, finished - loop_started


def unit_of_work(paths: list[str], precision: str, batch_size: int = 32) -> float:
    """Seconds of ``encode_images`` alone on a built, warmed-up encoder (the steady state)."""
    from insta_kedro.vision.encoder import encode_images, load_encoder
    from insta_kedro.vision.encoder_spec import resolve_encoder_spec

    encoder = load_encoder(resolve_encoder_spec(weights=None, precision=precision))
    encode_images(paths[:batch_size], encoder, batch_size)  # warm-up: trace the batch shape
    gc.collect()
    started = time.perf_counter()
    encode_images(paths, encoder, batch_size)
    return time.perf_counter() - started


def median_cosine(a: pd.Series, b: pd.Series) -> float:
    x, y = np.stack(a.dropna().to_list()), np.stack(b.dropna().to_list())
    cosine = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1) + 1e-12)
    return float(np.median(cosine))


def peak_memory_mib(count: int, data: Path, precision: str) -> float:
    """Max RSS of a fresh process running the node on ``count`` uncached images."""
    return run_this_script(
        "--memory-run", str(count), "--data", str(data), "--precision", precision
    )


def memory_run(count: int, data: Path, precision: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        paths = photo_paths(data, count, Path(scratch))
        run_node(paths, parameters(Path(scratch) / "cache", precision))
    print(peak_rss_mib())


def peak_rss_mib() -> float:
    """This process's peak resident memory since it started (``VmHWM``).

    Not ``getrusage(...).ru_maxrss``: Linux carries that over from the parent at fork, so a
    child of a large parent reports the parent's size instead of its own.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes there, KiB here


def gpu_rows(data: Path, scratch: Path) -> list[tuple[str, str]]:
    import tensorflow as tf

    from insta_kedro.vision.encoder import encode_images, load_encoder
    from insta_kedro.vision.encoder_spec import resolve_encoder_spec

    if not tf.config.list_physical_devices("GPU"):
        return [("GPU fc2 bf16, batch 64 / 256", "no GPU on this machine: not measured")]
    paths = photo_paths(data, 1024, scratch)
    encoder = load_encoder(resolve_encoder_spec(weights=None, precision="bfloat16"))
    rows = []
    for batch_size in (64, 256):
        encode_images(paths[:batch_size], encoder, batch_size)  # warm-up / trace
        started = time.perf_counter()
        encode_images(paths, encoder, batch_size)
        rate = len(paths) / (time.perf_counter() - started)
        rows.append((f"GPU fc2 bf16, batch {batch_size}", f"{rate:.1f} images/s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--memory-images", type=int, default=512)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--precision", default="bfloat16")
    parser.add_argument("--memory-run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--node-run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.memory_run:
        memory_run(args.memory_run, args.data, args.precision)
        return
    if args.node_run:
        node_run(args.node_run, args.cache_dir, args.precision)
        return
    reason = no_photos_reason(args.data)
    if reason:
        print(f"skipped: {reason}")
        return

    scratch = Path(tempfile.mkdtemp(prefix="image_features_bench_"))
    try:
        paths = photo_paths(args.data, args.images + 2 * RERUNS + 2, scratch)
        images, new_images = paths[: args.images], paths[args.images :]
        n = len(images)
        baseline, baseline_loop = baseline_way(images)
        bf16_unit = unit_of_work(images, "bfloat16")
        pairs, features = {}, {}
        # float32 as on a CPU without bfloat16 (precision: auto there)
        for precision in ("bfloat16", "float32"):
            pairs[precision] = full_runs_and_reruns(
                lambda p, cache, precision=precision: run_node(p, parameters(cache, precision))[0],
                images,
                new_images,
                scratch / precision,
            )
            # the features of the first full run, read back from its cache
            features[precision] = run_node(
                images, parameters(scratch / precision / "0", precision)
            )[1]
        bf16_pairs, f32_pairs = pairs["bfloat16"], pairs["float32"]
        bf16, f32 = features["bfloat16"], features["float32"]
        bf16_time, f32_time = statistics.median(bf16_pairs[0]), statistics.median(f32_pairs[0])
        fresh_pairs = full_runs_and_reruns(
            lambda p, cache: node_in_fresh_process(p, cache, "bfloat16"),
            images,
            new_images,
            scratch / "fresh",
        )
        fresh_time = statistics.median(fresh_pairs[0])
        file_runs = weights_file_reruns(
            images, new_images, weights_file_like_imagenet(scratch), scratch
        )
        memory_small = peak_memory_mib(args.images, args.data, args.precision)
        memory_large = peak_memory_mib(args.memory_images, args.data, args.precision)
        rows = [
            (f"end to end (model build included; node: median of {RERUNS} runs):", ""),
            (f"  baseline, float32, {n} images", f"{n / baseline:.2f} images/s"),
            (f"  node float32, {n} images", f"{n / f32_time:.2f} images/s"),
            (f"  node bfloat16, {n} images", f"{n / bf16_time:.2f} images/s"),
            (f"  node bf16, a new process per run, {n} images", f"{n / fresh_time:.2f} images/s"),
            (
                "  node bf16 in a new process / baseline (target ≥ 3x)",
                f"{baseline / fresh_time:.2f}x",
            ),
            ("  node bf16 warmed up in this process / baseline", f"{baseline / bf16_time:.2f}x"),
            ("steady state (model built and warmed up):", ""),
            (f"  baseline loop, float32, {n} images", f"{n / baseline_loop:.2f} images/s"),
            (f"  encode_images bf16, {n} images", f"{n / bf16_unit:.2f} images/s"),
            ("  encode_images bf16 / baseline loop", f"{baseline_loop / bf16_unit:.2f}x"),
            ("node bf16 / node float32", f"{f32_time / bf16_time:.2f}x"),
            (
                "median cosine bf16 vs float32",
                f"{median_cosine(bf16['feature'], f32['feature']):.5f}",
            ),
            (f"re-run, {n} cached + 2 new, medians of {RERUNS} pairs:", ""),
            ("  bf16", share_of_full_runs(*bf16_pairs)),
            ("  float32", share_of_full_runs(*f32_pairs)),
            ("  bf16, a new process per run (as kedro run)", share_of_full_runs(*fresh_pairs)),
            ("weights file (ImageNet layout, random values), bf16:", ""),
            (f"  full run, {n} images", f"{file_runs['full']:.2f} s"),
            (
                f"  re-run, {n} cached + 2 new, median of {RERUNS}",
                share_of_full_run(file_runs["rerun"], file_runs["full"]),
            ),
            (f"  re-run, all {len(paths)} cached", f"{file_runs['cached']:.2f} s"),
            (f"peak RSS, {args.images} images ({args.precision})", f"{memory_small:.0f} MiB"),
            (
                f"peak RSS, {args.memory_images} images ({args.precision})",
                f"{memory_large:.0f} MiB",
            ),
            ("peak RSS ratio", f"{memory_large / memory_small:.2f}x"),
            *gpu_rows(args.data, scratch),
        ]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure':<{width}}  value\n{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
