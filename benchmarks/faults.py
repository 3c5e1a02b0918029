"""Benchmark of killed runs: SIGKILL at random moments in the three parts of the project that
write as they go; prints a table.

    .venv/bin/python benchmarks/faults.py [--kills 20] [--seed 0]

Each run is a process of its own, as each ``kedro run`` is:

- image_features: ``vision.encode_image_manifest`` on 96 drawn images (48x40 px; VGG16
  ``layer: pool`` with seeded random weights; 4 images a chunk), the feature cache and the
  encoder's weight set in a fresh folder. A unit is an image, finished once its chunk's part
  file is in place.
- caption training: ``captioning.fit_caption_model`` on 600 synthetic posts (the tests' tiny
  model, 30 epochs, no early stop), its checkpoint in a fresh folder, then the trained
  weights saved in one file as the pipeline's catalog saves its outputs. A unit is an epoch,
  finished once its checkpoint is written.
- live download: ``ingestion.download_profiles`` of two profiles from the tests' fake
  Instagram (``tests.ingestion.test_download.FakeInstagram``, 40 posts added to each, 30 ms
  per media file) with the pipeline's default ``update: all``. A unit is a post, finished
  once its metadata file, written last, is in place.

For each, an uninterrupted run on a fresh folder times the start-up (imports), the set-up
(up to its first finished unit) and the rest of the work. Then ``--kills`` runs on another
fresh folder, each going on from what the ones before left, are killed with SIGKILL at a
random moment (seeded by ``--seed``): a quarter of them within the start-up, the others
within the work, uniformly over a span sized so that each run finishes on average its share
of the units still short of two thirds of them. A run that ends before its kill leaves
nothing to do, and the kills stop there. Then one run goes to the end. Every run logs the
units it begins and finishes, and the download the media files and post metadata it is
served.

Reported per pipeline: the units; the kills; the units the killed runs finished; the units
the completing run recomputed though a killed run had finished them (target 0), and those a
killed run recomputed though an earlier one had finished them; the units lost, finished by a
killed run but missing from the final result (target 0); the partial or corrupt files left
where a later run reads them (part files, weight sets, checkpoints, post, profile and resume
metadata; target 0); stray temporary files, which no run reads; whether the final result is
complete; the wall time of the completing run, of the uninterrupted run and of all the runs.
"""

import argparse
import configparser
import json
import lzma
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STARTUP_SHARE = 0.25  # the share of the kills aimed within the start-up
COVER = 2 / 3  # the share of the units the killed runs aim to leave finished
IMAGES, CHUNK_SIZE = 96, 4
EPOCHS, CAPTION_POSTS = 30, 600
ADDED_POSTS, MEDIA_SECONDS = 40, 0.03
PROFILES = ("anna.cooks", "ben_hikes")
EVENTS, RESULT, MODEL = "events.log", "result.json", "model.npz"


# -- what the runs log ---------------------------------------------------------------------
def log_event(state: Path, run: str, kind: str, *units: str) -> None:
    """Append ``run kind unit`` lines (one ``run kind`` line without units) to the state's
    event log, in one write."""
    lines = [f"{run} {kind} {unit}" for unit in units] if units else [f"{run} {kind}"]
    descriptor = os.open(state / EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, ("\n".join(lines) + "\n").encode())
    finally:
        os.close(descriptor)


def read_events(state: Path) -> list[tuple[str, str, str]]:
    """The event log as ``(run, kind, unit)`` triples (unit ``""`` for unit-less events)."""
    path = state / EVENTS
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        words = line.split()
        if len(words) >= 2:
            events.append((words[0], words[1], words[2] if len(words) > 2 else ""))
    return events


def units_of(events: list[tuple[str, str, str]], run: str, kind: str) -> set[str]:
    """The units of ``run``'s events of ``kind``."""
    return {unit for r, k, unit in events if r == run and k == kind}


def write_json_atomically(path: Path, value) -> None:
    """Write ``value`` as JSON to a temporary name, then rename it to ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)


# -- the workers (run with --worker in a new process) ----------------------------------------
def image_worker(state: Path, run: str, inputs: Path) -> None:
    """Encode ``inputs``' images through the feature cache ``state/cache``, logging each
    image a chunk begins and each image a part file holds."""
    import pandas as pd
    import tensorflow  # noqa: F401  (start-up: the work begins with it imported)

    from insta_kedro.vision import features
    from insta_kedro.vision.feature_cache import FeatureCache
    from insta_kedro.vision.manifest import build_image_manifest

    paths = sorted(str(p) for p in inputs.glob("*.png"))
    manifest = build_image_manifest(
        pd.DataFrame({"post_id": [Path(p).stem for p in paths], "image_path": paths})
    )
    sha256_of = dict(zip(manifest["image_path"], manifest["image_sha256"], strict=True))
    encode_images, put = features.encode_images, FeatureCache.put

    def logged_encode_images(chunk, *args):
        log_event(state, run, "begin", *(sha256_of[p] for p in chunk))
        return encode_images(chunk, *args)

    def logged_put(self, rows):
        part = put(self, rows)
        log_event(state, run, "done", *rows["image_sha256"])
        return part

    features.encode_images, FeatureCache.put = logged_encode_images, logged_put
    log_event(state, run, "ready")
    encodings = features.encode_image_manifest(
        manifest,
        state / "cache",
        {"weights": None, "layer": "pool", "precision": "float32"},
        batch_size=CHUNK_SIZE,
        chunk_size=CHUNK_SIZE,
    )
    done = encodings.posts.loc[encodings.posts["error"].isna(), "image_sha256"]
    write_json_atomically(state / RESULT, sorted(done))


def caption_worker(state: Path, run: str) -> None:
    """Train the caption model with its checkpoint in ``state/checkpoint``, logging each epoch
    begun and each epoch checkpointed, then save its weights and history in ``state/MODEL``;
    nothing to do when that file is there."""
    import keras

    from insta_kedro.captioning.examples import prepare_examples, training_vocabulary
    from insta_kedro.captioning.training import fit_caption_model
    from tests.captioning.conftest import TINY_PARAMS, synthetic_features, synthetic_posts

    class EpochLog(keras.callbacks.Callback):
        """Logs each epoch begun, and each ended once its checkpoint is written (it comes
        after the checkpoint among the callbacks)."""

        def on_epoch_begin(self, epoch, logs=None):
            log_event(state, run, "begin", str(epoch))

        def on_epoch_end(self, epoch, logs=None):
            log_event(state, run, "done", str(epoch))

    log_event(state, run, "ready")
    if (state / MODEL).exists():
        return
    params = {
        **TINY_PARAMS,
        "checkpoint_dir": str(state / "checkpoint"),
        "epochs": EPOCHS,
        "early_stopping_patience": EPOCHS,
        "packed_training": True,
        "fused_lstm": False,
    }
    posts = synthetic_posts(CAPTION_POSTS)
    examples, _ = prepare_examples(
        posts, synthetic_features(posts), val_fraction=0.15, test_fraction=0.2, seed=1
    )
    vocab = training_vocabulary(examples, params["min_char_count"], params["max_len"])
    model, history = fit_caption_model(examples, vocab, params, extra_callbacks=(EpochLog(),))
    temporary = state / f".{MODEL}.{os.getpid()}.tmp.npz"
    weights = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    np.savez(temporary, history=np.array(json.dumps(history["epochs"])), **weights)
    os.replace(temporary, state / MODEL)


def bench_instagram():
    """The tests' fake Instagram, ``ADDED_POSTS`` older single-photo posts appended to each
    of ``PROFILES``, ``page_size`` 12."""
    from tests.ingestion.test_download import FakeInstagram

    fake = FakeInstagram(page_size=12)
    for username in PROFILES:
        media = fake.accounts[username]["media"]
        template = next(m for m in media if not m["carousel_media"] and not m["video_versions"])
        oldest = min(m["taken_at"] for m in media)
        for index in range(ADDED_POSTS):
            post = json.loads(json.dumps(template))
            code = f"Bench{username.split('.')[0].split('_')[0].title()}{index:03d}"
            pk = str(int(template["pk"]) + 1000 + index)
            candidate = post["image_versions2"]["candidates"][0]
            candidate["url"] = candidate["url"].replace(template["code"], code)
            post.update(code=code, pk=pk, taken_at=oldest - 3600 * (index + 1))
            post["id"] = f"{pk}_{fake.accounts[username]['user']['pk']}"
            media.append(post)
    return fake


def download_worker(state: Path, run: str) -> None:
    """Download ``PROFILES`` from the fake Instagram into ``state/dl``, logging each media
    file and post metadata served and each post whose metadata file is written."""
    import instaloader.instaloader
    import requests

    from insta_kedro.ingestion.download import download_profiles, make_loader
    from tests.ingestion.test_download import DOC_MEDIA_BY_SHORTCODE

    fake = bench_instagram()
    media_file, graphql = fake.media_file, fake.graphql
    save = instaloader.instaloader.save_structure_to_file

    def logged_media_file(request, path):
        name = path.rsplit("/", 1)[-1]
        if "-pic" not in name:  # the profile pictures are no post's
            log_event(state, run, "begin", name.split("-")[0])
            time.sleep(MEDIA_SECONDS)
        return media_file(request, path)

    def logged_graphql(doc_id, variables):
        if doc_id == DOC_MEDIA_BY_SHORTCODE:
            log_event(state, run, "metadata", variables["shortcode"])
        return graphql(doc_id, variables)

    def logged_save(structure, filename):
        save(structure, filename)
        if filename.endswith("_UTC.json.xz"):
            log_event(state, run, "done", structure.shortcode)

    fake.media_file, fake.graphql = logged_media_file, logged_graphql
    instaloader.instaloader.save_structure_to_file = logged_save
    requests.adapters.HTTPAdapter.send = lambda _adapter, request, **_kw: fake.send(request)
    log_event(state, run, "ready")
    loader = make_loader(state / "dl", sleep=lambda seconds: None, pause_between_requests=False)
    report = download_profiles(
        list(PROFILES),
        state / "dl",
        max_posts_per_profile=None,
        loader=loader,
        sleep=lambda seconds: None,
        rng=random.Random(0),
    )
    write_json_atomically(state / RESULT, {u: outcome["status"] for u, outcome in report.items()})


# -- the pipelines as the harness sees them --------------------------------------------------
@dataclass
class Inspection:
    """What a state holds after the completing run."""

    results: set[str]  # the units in the final result
    complete: bool  # whether the final result has every unit
    corrupt: list[str] = field(default_factory=list)  # files a run reads that do not load
    stray: list[str] = field(default_factory=list)  # temporary files no run reads


def inspect_image_features(state: Path, units: set[str]) -> Inspection:
    """The images with a feature in the completing run's result, the part files, cache
    configurations and weight sets of ``state`` that do not load, and its temporary files."""
    import pyarrow.parquet as pq

    from insta_kedro.vision.feature_cache import CACHE_SCHEMA
    from tests.killing import weight_set_is_whole

    results = set(json.loads((state / RESULT).read_text())) if (state / RESULT).exists() else set()
    found = Inspection(results, results == units)
    cache = state / "cache"
    for folder in cache.glob("vgg16-*"):
        try:
            json.loads((folder / "config.json").read_text())
        except (OSError, ValueError):
            found.corrupt.append(str(folder / "config.json"))
        for part in folder.glob("part-*.parquet"):
            try:
                pq.read_table(part, schema=CACHE_SCHEMA)
            except Exception:
                found.corrupt.append(str(part))
        found.stray += [str(p) for p in folder.glob(".*.tmp")]
    for weight_set in (cache / "weight_sets").glob("*"):
        if weight_set.name.endswith(".partial"):
            found.stray.append(str(weight_set))
        elif weight_set.is_dir() and not weight_set_is_whole(weight_set):
            found.corrupt.append(str(weight_set))
    return found


def inspect_caption_training(state: Path, units: set[str]) -> Inspection:
    """The epochs in the saved model's history, the saved model or checkpoint of ``state``
    when it does not load, and its temporary files."""
    found = Inspection(set(), False)
    try:
        with np.load(state / MODEL) as saved:
            epochs = json.loads(str(saved["history"]))["loss"]
        found.results = {str(e) for e, loss in enumerate(epochs) if np.isfinite(loss)}
        found.complete = found.results == units
    except (OSError, ValueError, KeyError):
        if (state / MODEL).exists():
            found.corrupt.append(str(state / MODEL))
    checkpoint = state / "checkpoint"
    if (checkpoint / "training.npz").exists():
        try:
            with np.load(checkpoint / "training.npz") as saved:
                json.loads(str(saved["epochs"]))
        except (OSError, ValueError, KeyError):
            found.corrupt.append(str(checkpoint / "training.npz"))
    found.stray += [str(p) for p in checkpoint.glob("*.partial.npz")]
    found.stray += [str(p) for p in state.glob(f".{MODEL}.*")]
    return found


def post_files(fake) -> dict[str, Path]:
    """The metadata file of every post of ``PROFILES`` on the fake, by shortcode, relative to
    the download folder."""
    return {
        media["code"]: Path(username)
        / f"{datetime.fromtimestamp(media['taken_at'], UTC):%Y-%m-%d_%H-%M-%S}_UTC.json.xz"
        for username in PROFILES
        for media in fake.accounts[username]["media"]
    }


def inspect_live_download(state: Path, units: set[str]) -> Inspection:
    """The posts whose metadata file loads, the post, profile and resume metadata, ``id`` and
    ``latest-stamps.ini`` files of ``state`` that do not load, and its temporary files."""
    import instaloader

    context = instaloader.Instaloader(quiet=True).context
    download = state / "dl"
    found = Inspection(set(), False)

    def loads(path: Path, kind: type) -> bool:
        try:
            return isinstance(instaloader.load_structure_from_file(context, str(path)), kind)
        except (lzma.LZMAError, EOFError, OSError, ValueError, KeyError):
            return False

    by_path = {path: code for code, path in post_files(bench_instagram()).items()}
    for path in download.glob("*/*_UTC.json.xz"):
        if loads(path, instaloader.Post):
            found.results.add(by_path.get(path.relative_to(download), path.name))
        else:
            found.corrupt.append(str(path))
    for profile in download.glob("*/*_[0-9]*.json.xz"):
        if not profile.name.endswith("_UTC.json.xz") and not loads(profile, instaloader.Profile):
            found.corrupt.append(str(profile))
    for resume in download.glob("*/iterator_*.json.xz"):
        if not loads(resume, instaloader.FrozenNodeIterator):
            found.corrupt.append(str(resume))
    for id_file in download.glob("*/id"):
        if not id_file.read_text().strip().isdigit():
            found.corrupt.append(str(id_file))
    stamps = download / "latest-stamps.ini"
    if stamps.exists():
        try:
            parser = configparser.ConfigParser()
            parser.read(stamps)
            for section in parser.sections():
                for key, value in parser[section].items():
                    if key.endswith("timestamp"):
                        datetime.fromisoformat(value)
        except (configparser.Error, ValueError):
            found.corrupt.append(str(stamps))
    found.stray += [str(p) for p in download.glob("*/*.temp")]
    found.stray += [str(p) for p in download.glob("*/*_old_*")]
    statuses = json.loads((state / RESULT).read_text()) if (state / RESULT).exists() else {}
    found.complete = found.results == units and set(statuses.values()) == {"ok"}
    return found


@dataclass
class Pipeline:
    """A pipeline under test: its worker's name, its units, and how to read a state."""

    name: str
    worker: str
    units: Callable[[], set[str]]
    inspect: Callable[[Path, set[str]], Inspection]


def draw_images(folder: Path) -> None:
    """Save ``IMAGES`` random 48x40 px PNG images in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    from PIL import Image

    for index in range(IMAGES):
        pixels = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"image{index:03d}.png")


def image_units(images: Path) -> Callable[[], set[str]]:
    """A function giving the sha256 of every image in ``images``."""

    def units() -> set[str]:
        from insta_kedro.vision.file_hashes import hash_file

        return {hash_file(path)["sha256"] for path in images.glob("*.png")}

    return units


# -- the harness ------------------------------------------------------------------------------
@dataclass
class Timing:
    """An uninterrupted run's seconds: from its start to its ``ready`` event (start-up), from
    there to its first finished unit (set-up, which every run does again), and from there to
    its end (the rest of the work)."""

    startup: float
    setup: float
    rest: float

    def span(self, seconds: float) -> float:
        """Seconds after ``ready`` over which to draw a kill within the work so that the run
        finishes ``seconds`` of the rest on average: ``setup + w`` with
        ``w**2 / (2 * (setup + w)) == seconds``."""
        a = 2 * max(0.0, seconds)
        return self.setup + (a + (a * a + 4 * a * self.setup) ** 0.5) / 2


def start(pipeline: Pipeline, state: Path, run: str, inputs: Path) -> subprocess.Popen:
    """Start ``run`` of ``pipeline`` on ``state`` in a new process (output to ``run.log``),
    its temporary files in ``state/tmp`` (a killed run cannot remove them: TensorFlow's
    autograph leaves its generated modules there), removed with the scratch folder."""
    temporary = state / "tmp"
    temporary.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "TMPDIR": str(temporary),
        # this checkout's src and tests first, whichever insta_kedro the venv installs
        "PYTHONPATH": os.pathsep.join(
            [str(PROJECT_ROOT / "src"), str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
    }
    command = [sys.executable, __file__, "--worker", pipeline.worker, "--state", str(state)]
    return subprocess.Popen(
        [*command, "--run", run, "--inputs", str(inputs)],
        cwd=state,
        env=env,
        stdout=(state / f"{run}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(process: subprocess.Popen, state: Path, run: str, kind: str) -> float:
    """Wait until ``run`` logs an event of ``kind`` or ends; returns the monotonic time."""
    while process.poll() is None and not any(
        r == run and k == kind for r, k, _ in read_events(state)
    ):
        time.sleep(0.005)
    return time.monotonic()


def finish(process: subprocess.Popen, state: Path, run: str) -> None:
    """Wait for ``run`` to end; exit with its output when it fails."""
    if process.wait() != 0:
        raise SystemExit(f"{run} failed:\n{(state / f'{run}.log').read_text()[-4000:]}")


def uninterrupted(pipeline: Pipeline, state: Path, inputs: Path) -> tuple[Timing, float]:
    """One run on a fresh ``state``: its start-up and work seconds, and its wall time."""
    state.mkdir(parents=True)
    spawned = time.monotonic()
    process = start(pipeline, state, "whole", inputs)
    ready = wait_for(process, state, "whole", "ready")
    first_done = wait_for(process, state, "whole", "done")
    finish(process, state, "whole")
    ended = time.monotonic()
    return Timing(ready - spawned, first_done - ready, ended - first_done), ended - spawned


def killed_runs(
    pipeline: Pipeline,
    state: Path,
    inputs: Path,
    timing: Timing,
    kills: int,
    rng: random.Random,
) -> list[str]:
    """Up to ``kills`` runs on ``state``, each killed at a random moment; stops after a run
    that ends before its kill. A kill within the work is drawn over a span sized so that the
    run finishes, on average, its share of the units still short of ``COVER`` of them.
    Returns the names of the runs killed."""
    units = len(pipeline.units())
    unit_seconds = timing.rest / max(1, units - 1)
    work_kills_left = round(kills * (1 - STARTUP_SHARE))
    killed = []
    for number in range(kills):
        run = f"killed{number:02d}"
        spawned = time.monotonic()
        process = start(pipeline, state, run, inputs)
        if rng.random() < STARTUP_SHARE:
            deadline = spawned + rng.uniform(0, timing.startup)
        else:
            finished = {unit for _, kind, unit in read_events(state) if kind == "done"}
            short = COVER * units - len(finished)
            span = timing.span(short * unit_seconds / max(1, work_kills_left))
            work_kills_left -= 1
            deadline = wait_for(process, state, run, "ready") + rng.uniform(0, span)
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        if process.wait() != -signal.SIGKILL:
            finish(process, state, run)  # ended before its kill: nothing is left to do
            break
        killed.append(run)
    return killed


def measure(pipeline: Pipeline, scratch: Path, inputs: Path, kills: int, seed: int) -> dict:
    """The row of ``pipeline``: an uninterrupted run, the killed runs, the completing run."""
    timing, whole_seconds = uninterrupted(pipeline, scratch / f"{pipeline.worker}-whole", inputs)
    state = scratch / pipeline.worker
    state.mkdir()
    started = time.monotonic()
    killed = killed_runs(pipeline, state, inputs, timing, kills, random.Random(seed))
    completing = time.monotonic()
    finish(start(pipeline, state, "final", inputs), state, "final")
    ended = time.monotonic()

    events = read_events(state)
    units = pipeline.units()
    finished: set[str] = set()
    recomputed_by_killed = 0
    for run in killed:
        recomputed_by_killed += len(units_of(events, run, "begin") & finished)
        finished |= units_of(events, run, "done")
    found = pipeline.inspect(state, units)
    metadata_again = 0
    if pipeline.worker == "live_download":  # metadata asked again for posts already on disk
        done_before: set[str] = set()
        for run in [*killed, "final"]:
            metadata_again += len(units_of(events, run, "metadata") & done_before)
            done_before |= units_of(events, run, "done")
    return {
        "pipeline": pipeline.name,
        "units": len(units),
        "kills": len(killed),
        "finished": len(finished),
        "recomputed": len(units_of(events, "final", "begin") & finished),
        "recomputed_by_killed": recomputed_by_killed,
        "lost": len(finished - found.results),
        "corrupt": found.corrupt,
        "stray": found.stray,
        "complete": found.complete,
        "final_s": ended - completing,
        "whole_s": whole_seconds,
        "all_s": ended - started,
        "metadata_again": metadata_again,
    }


def worker_main(args: argparse.Namespace) -> None:
    """Run the worker ``args.worker`` as ``args.run`` on ``args.state``."""
    sys.path.insert(0, str(PROJECT_ROOT))
    if args.worker == "image_features":
        image_worker(args.state, args.run, args.inputs)
    elif args.worker == "caption_training":
        caption_worker(args.state, args.run)
    else:
        download_worker(args.state, args.run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="killed runs per pipeline")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument(
        "--only", nargs="+", choices=["image_features", "caption_training", "live_download"]
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args)
        return

    sys.path.insert(0, str(PROJECT_ROOT))
    scratch = Path(tempfile.mkdtemp(prefix="faults_bench_"))
    try:
        draw_images(scratch / "images")
        pipelines = [
            Pipeline(
                "image_features (unit: image)",
                "image_features",
                image_units(scratch / "images"),
                inspect_image_features,
            ),
            Pipeline(
                "caption training (unit: epoch)",
                "caption_training",
                lambda: {str(e) for e in range(EPOCHS)},
                inspect_caption_training,
            ),
            Pipeline(
                "live download (unit: post)",
                "live_download",
                lambda: set(post_files(bench_instagram())),
                inspect_live_download,
            ),
        ]
        rows = []
        for number, pipeline in enumerate(pipelines):
            if args.only and pipeline.worker not in args.only:
                continue
            inputs = scratch / "images"
            rows.append(measure(pipeline, scratch, inputs, args.kills, args.seed + number))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        "| pipeline | units | kills | finished by killed runs | recomputed by the completing "
        "run (target 0) | recomputed by a later killed run | lost (target 0) | partial/corrupt "
        "files read (target 0) | stray temp files | complete | completing run s | "
        "uninterrupted run s | all runs s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['pipeline']} | {row['units']} | {row['kills']} | {row['finished']} | "
            f"{row['recomputed']} | {row['recomputed_by_killed']} | {row['lost']} | "
            f"{len(row['corrupt'])} | {len(row['stray'])} | {'yes' if row['complete'] else 'NO'} "
            f"| {row['final_s']:.1f} | {row['whole_s']:.1f} | {row['all_s']:.1f} |"
        )
    for row in rows:
        for path in row["corrupt"]:
            print(f"{row['pipeline']}: partial or corrupt: {path}")
        if row["pipeline"].startswith("live download"):
            print(
                f"{row['pipeline']}: post metadata asked again for posts already on disk: "
                f"{row['metadata_again']} (no media file)"
            )


if __name__ == "__main__":
    main()
