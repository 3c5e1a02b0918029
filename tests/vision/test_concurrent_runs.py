"""Two runs of ``encode_image_manifest`` at once on one feature cache: both finish, the
encoder's weight set is saved whole, and every image is in the cache with one feature."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from insta_kedro.vision.feature_cache import CACHE_SCHEMA, FeatureCache
from insta_kedro.vision.file_hashes import hash_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENCODER = {"weights": None, "layer": "pool", "precision": "float32"}
MAX_PARTS = 4  # compaction threshold of the runs here (the pipeline's is 32)

# argv: its name, the folder of the two runs, its images (JSON list), the compaction threshold,
# the encoder options. Both runs start on an empty cache; they meet before building the
# encoder (so both would build and save the weight set at the same time) and before
# compacting (with a threshold low enough that both merge the parts of both at once).
WORKER = """
import json, sys, time
from pathlib import Path

import pandas as pd

from insta_kedro.vision import weight_sets
from insta_kedro.vision.feature_cache import FeatureCache
from insta_kedro.vision.features import encode_image_manifest
from insta_kedro.vision.manifest import build_image_manifest

name, folder, paths = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])


def meet(point):
    (folder / f"{name}.{point}").touch()
    deadline = time.monotonic() + 120
    while len(list(folder.glob(f"*.{point}"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)


built_once, compact = weight_sets.built_once, FeatureCache.compact


def built_once_with_the_other(*args):
    meet("build")
    return built_once(*args)


def compact_with_the_other(self, max_parts=32):
    meet("compact")
    return compact(self, max_parts=int(sys.argv[4]))


weight_sets.built_once = built_once_with_the_other
FeatureCache.compact = compact_with_the_other
posts = pd.DataFrame({"post_id": [Path(p).stem for p in paths], "image_path": paths})
encodings = encode_image_manifest(
    build_image_manifest(posts), folder / "cache", json.loads(sys.argv[5]), 2, 2
).features()
print(json.dumps({"rows": len(encodings), "with_feature": int(encodings["error"].isna().sum())}))
"""


def test_two_runs_at_once_share_one_cache(tmp_path):
    rng = np.random.default_rng(5)
    paths = []
    for index in range(16):
        path = tmp_path / f"image{index:02d}.png"
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    own = {"a": paths[:10], "b": paths[6:]}  # 4 images in both
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, name, str(tmp_path), json.dumps(images)]
            + [str(MAX_PARTS), json.dumps(ENCODER)],
            cwd=tmp_path,
            env=env,
            stdout=(tmp_path / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, images in own.items()
    }
    started = time.monotonic()
    for name, run in runs.items():
        log = (tmp_path / f"{name}.log").read_text
        assert run.wait(timeout=300) == 0, log()[-3000:]
        assert json.loads(log().strip().splitlines()[-1]) == {
            "rows": len(own[name]),
            "with_feature": len(own[name]),
        }
        assert "weight set" not in log(), log()[-3000:]  # neither unusable nor unsaved
    assert time.monotonic() - started < 300

    cache_dir = tmp_path / "cache"
    (folder,) = cache_dir.glob("vgg16-*")
    parts = sorted(folder.glob("part-*.parquet"))
    tables = [pq.read_table(part, schema=CACHE_SCHEMA).to_pandas() for part in parts]
    hashes = {hash_file(Path(path))["sha256"] for path in paths}
    stored = {}
    for table in tables:
        for sha256, feature in zip(table["image_sha256"], table["feature"], strict=True):
            # an image both runs encoded may be stored twice, never with two features
            np.testing.assert_array_equal(stored.setdefault(sha256, feature), feature)
    assert set(stored) == hashes
    config = json.loads((folder / "config.json").read_text())
    cache = FeatureCache(cache_dir, folder.name, config)
    assert len(cache.get(hashes)) == len(hashes) and cache.unreadable_parts == 0
    (weight_set,) = [p for p in (cache_dir / "weight_sets").iterdir() if p.is_dir()]
    assert not weight_set.name.endswith(".partial")
    assert len(list(weight_set.glob("*.npy"))) == 26  # VGG16's 13 convolutions: kernel, bias
