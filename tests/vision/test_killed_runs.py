"""The image feature cache and the encoder's weight set survive a SIGKILL at any moment.

Each run of ``encode_image_manifest`` is a process of its own, killed with SIGKILL at a
chosen point (held there until the kill, so the point is exact), then run again to the end.
The rerun must encode only the images no finished chunk holds, and leave no file that a
later run reads back as a part or a weight set while it is incomplete.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from insta_kedro.vision.feature_cache import CACHE_SCHEMA, FeatureCache
from insta_kedro.vision.file_hashes import hash_file
from tests.killing import kill, wait_until, weight_set_is_whole

PROJECT_ROOT = Path(__file__).resolve().parents[2]
IMAGES = 12
CHUNK_SIZE = 2
ENCODER = {"weights": None, "layer": "pool", "precision": "float32"}

# argv: images folder, cache folder, where to stop ("weight-set", "third-part" or "never"),
# encoder options (JSON), chunk size. The stop points hold the process, by a sleep, where a
# kill hurts most: within the weight set's writing (3 arrays saved) or within the third
# chunk's part file (written halfway).


WORKER = """
import json, os, sys, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from insta_kedro.vision.features import encode_image_manifest
from insta_kedro.vision.manifest import build_image_manifest

images, cache_dir, stop = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
encoder = json.loads(sys.argv[4])
if stop == "weight-set":
    save = np.save
    saved = []

    def save_then_hold(path, *args, **kwargs):
        save(path, *args, **kwargs)
        saved.append(path)
        if len(saved) == 3:
            time.sleep(600)

    np.save = save_then_hold
if stop == "third-part":
    write_table = pq.write_table
    written = []

    def write_half_then_hold(table, where, *args, **kwargs):
        write_table(table, where, *args, **kwargs)
        written.append(where)
        if len(written) == 3:
            os.truncate(where, os.path.getsize(where) // 2)
            time.sleep(600)

    pq.write_table = write_half_then_hold
paths = sorted(str(p) for p in images.glob("*.png"))
posts = pd.DataFrame({"post_id": [Path(p).stem for p in paths], "image_path": paths})
encodings = encode_image_manifest(
    build_image_manifest(posts), cache_dir, encoder, batch_size=2, chunk_size=int(sys.argv[5])
).features()
print(json.dumps({"rows": len(encodings), "with_feature": int(encodings["error"].isna().sum())}))
"""


def start_worker(tmp_path: Path, name: str, images: Path, stop: str) -> subprocess.Popen:
    """Start ``WORKER`` on ``images`` with the cache ``tmp_path/cache``, stopping at ``stop``,
    in a new process; its output goes to ``<name>.log``."""
    args = [str(images), str(tmp_path / "cache"), stop, json.dumps(ENCODER), str(CHUNK_SIZE)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def part_hashes(parts: list[Path]) -> list[str]:
    """The image hashes of these part files, one per row (every part must load)."""
    return [
        h
        for part in parts
        for h in pq.read_table(part, schema=CACHE_SCHEMA)["image_sha256"].to_pylist()
    ]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for index in range(IMAGES):
        pixels = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"image{index:02d}.png")
    return folder


def test_killed_runs_keep_every_finished_chunk_and_no_half_written_file(tmp_path, images):
    cache_dir = tmp_path / "cache"
    weight_sets = cache_dir / "weight_sets"
    hashes = {hash_file(path)["sha256"] for path in images.glob("*.png")}

    # 1. killed while the weight set is written: its .partial folder is left, never the set
    first = start_worker(tmp_path, "first", images, "weight-set")
    wait_until(
        lambda: len(list(weight_sets.glob("*.partial/*.npy"))) >= 3,
        first,
        tmp_path / "first.log",
    )
    kill(first)
    assert [p.suffix for p in weight_sets.iterdir() if p.is_dir()] == [".partial"]

    # 2. killed halfway through the third chunk's part: two whole parts and a temporary file
    (folder,) = cache_dir.glob("vgg16-*")  # the configuration's folder, made by the first run
    second = start_worker(tmp_path, "second", images, "third-part")
    wait_until(
        lambda: (
            len(list(folder.glob("part-*.parquet"))) == 2
            and len(list(folder.glob(".part-*.tmp"))) == 1
        ),
        second,
        tmp_path / "second.log",
    )
    kill(second)
    (weight_set,) = [p for p in weight_sets.iterdir() if p.is_dir()]  # the .partial replaced
    assert not weight_set.name.endswith(".partial") and weight_set_is_whole(weight_set)
    parts_before = sorted(folder.glob("part-*.parquet"))
    cached_before = part_hashes(parts_before)
    assert len(parts_before) == 2 and len(cached_before) == 2 * CHUNK_SIZE

    # 3. the rerun encodes only the images that no whole part holds
    third = start_worker(tmp_path, "third", images, "never")
    assert third.wait(timeout=300) == 0, (tmp_path / "third.log").read_text()[-3000:]
    result = json.loads((tmp_path / "third.log").read_text().strip().splitlines()[-1])
    assert result == {"rows": IMAGES, "with_feature": IMAGES}
    parts_after = sorted(folder.glob("part-*.parquet"))
    computed = part_hashes([p for p in parts_after if p not in parts_before])
    assert sorted(computed) == sorted(hashes - set(cached_before))  # each once, none again
    assert sorted(part_hashes(parts_after)) == sorted(hashes)  # every part loads
    config = json.loads((folder / "config.json").read_text())
    reader = FeatureCache(cache_dir, folder.name, config)
    assert len(reader.get(hashes)) == IMAGES and reader.unreadable_parts == 0
    # the half-written part stays a temporary file, which no run lists as a part
    assert len(list(folder.glob(".part-*.tmp"))) == 1
    assert all(part.name.startswith("part-") for part in reader.parts())
    assert [p for p in weight_sets.iterdir() if p.is_dir()] == [weight_set]
