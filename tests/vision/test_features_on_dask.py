"""Image features encoded on a real Dask cluster (``dask scheduler`` and two ``dask worker``
processes): the same features as a local run, nothing lost when a worker dies mid-run, and
nothing computed twice by a rerun."""

import threading
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from PIL import Image

from insta_kedro.engine import Engine, close_clients
from insta_kedro.vision import features as vision_features
from insta_kedro.vision.encoder_spec import resolve_encoder_spec
from insta_kedro.vision.feature_cache import FeatureCache
from insta_kedro.vision.features import encode_image_manifest
from insta_kedro.vision.manifest import build_image_manifest
from tests.dask_cluster import dask_cluster
from tests.killing import kill

IMAGES = 12
ENCODER = {"weights": None, "layer": "pool", "precision": "float32"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> pd.DataFrame:
    """12 distinct photos and a corrupt one."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    paths = []
    for i in range(IMAGES):
        path = folder / f"photo_{i}.jpg"
        Image.fromarray(rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    (folder / "corrupt.jpg").write_bytes(b"not a photo")
    paths.append(str(folder / "corrupt.jpg"))
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(len(paths))], "image_path": paths})
    return build_image_manifest(posts)


@pytest.fixture(scope="module")
def local_features(manifest, tmp_path_factory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("local_cache")
    return encode_image_manifest(manifest, cache, ENCODER, batch_size=2, chunk_size=4).features()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running
    close_clients()


def _cached_rows(cache_dir) -> int:
    spec = resolve_encoder_spec(**ENCODER)
    cache = FeatureCache(cache_dir, spec.cache_key, spec.describe())
    return sum(pq.ParquetFile(part).metadata.num_rows for part in cache.parts())


def _assert_same_features(ours: pd.DataFrame, local: pd.DataFrame) -> None:
    assert list(ours["post_id"]) == list(local["post_id"])
    assert list(ours["error"].fillna("")) == list(local["error"].fillna(""))
    for a, b in zip(ours["feature"], local["feature"], strict=True):
        if b is None:
            assert a is None
            continue
        cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        assert cosine >= 0.9999


def test_a_worker_killed_mid_run_loses_only_its_chunk(
    cluster, manifest, local_features, tmp_path, monkeypatch
):
    engine = Engine(name="dask", address=cluster.address, chunk_size=2, retries=2)
    cache_dir = tmp_path / "cache"
    spec = resolve_encoder_spec(**ENCODER)
    parts = cache_dir / spec.cache_key

    def kill_a_worker_after_the_first_part():
        deadline = time.monotonic() + 300
        while not list(parts.glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        kill(cluster.workers[0])

    killer = threading.Thread(target=kill_a_worker_after_the_first_part)
    killer.start()
    ours = encode_image_manifest(manifest, cache_dir, ENCODER, batch_size=2, engine=engine)
    ours = ours.features()
    killer.join()

    assert cluster.workers[0].poll() is not None  # it died within the run
    _assert_same_features(ours, local_features)
    # Every image is cached once, plus at most the chunk the dead worker had written but
    # not yet reported.
    assert IMAGES + 1 <= _cached_rows(cache_dir) <= IMAGES + 1 + engine.chunk_size

    def nothing_to_compute(*args, **kwargs):
        pytest.fail("a rerun computed again")

    monkeypatch.setattr(vision_features, "map_chunks", nothing_to_compute)
    again = encode_image_manifest(manifest, cache_dir, ENCODER, batch_size=2, engine=engine)
    again = again.features()
    _assert_same_features(again, local_features)
