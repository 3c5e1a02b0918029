"""Tests of the image_features nodes: each hands its inputs and parameters to the domain
(``insta_kedro.vision.manifest`` and ``insta_kedro.vision.features``, tested in tests/vision).
"""

import pandas as pd
import pytest
from PIL import Image

from insta_kedro import engine, vision
from insta_kedro.pipelines.image_features.nodes import encode_post_images, hash_post_images
from insta_kedro.vision import NO_IMAGE, ImageFeaturesParams, WeightsUnavailableError
from tests.pipelines.shipped_params import typed


@pytest.fixture
def posts(tmp_path) -> pd.DataFrame:
    """A drawn photo and a post without an image."""
    image = Image.new("RGB", (260, 320), (250, 200, 20))
    image.paste((255, 255, 255), (40, 40, 120, 200))
    image.save(tmp_path / "sun.jpg")
    return pd.DataFrame({"post_id": ["p1", "p2"], "image_path": [str(tmp_path / "sun.jpg"), None]})


def _parameters(tmp_path, **overrides) -> ImageFeaturesParams:
    """The shipped settings for a small random-weights encoder, with ``overrides``."""
    settings = {
        "weights": None,
        "layer": "pool",
        "precision": "float32",
        "batch_size": 2,
        "chunk_size": 2,
        "cache_dir": str(tmp_path / "cache"),
        **overrides,
    }
    return typed(ImageFeaturesParams, **settings)


def _local() -> engine.EngineParams:
    """The shipped engine settings: local."""
    return typed(engine.EngineParams)


@pytest.fixture
def encode_calls(monkeypatch) -> list[tuple]:
    """The calls of ``vision.encode_image_manifest`` (replaced: nothing is encoded)."""
    calls = []

    class Encodings:
        labels = "labels"

        def feature_batches(self):
            return "feature batches"

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return Encodings()

    monkeypatch.setattr(vision, "encode_image_manifest", recording)
    return calls


def test_hash_node_gives_the_manifest(posts):
    manifest = hash_post_images(posts)
    pd.testing.assert_frame_equal(manifest, vision.build_image_manifest(posts))
    assert list(manifest["error"]) == [None, NO_IMAGE]


def test_encode_node_passes_the_encoder_settings_and_the_run_parameters(tmp_path, encode_calls):
    manifest = pd.DataFrame(columns=["post_id", "image_path", "image_sha256", "error"])
    parameters = _parameters(tmp_path, allow_random_weights=False, top_k=3)
    dask = typed(engine.EngineParams, name="dask", dask__chunk_size=8)
    assert encode_post_images(manifest, parameters, dask) == ("feature batches", "labels")
    ((args, kwargs),) = encode_calls
    assert args[0] is manifest
    assert args[1:] == (
        parameters.cache_dir,
        {
            "weights": None,
            "layer": "pool",
            "precision": "float32",
            "allow_random_weights": False,
            "random_seed": parameters.random_seed,
            "resize": parameters.resize,
            "top_k": 3,
        },
    )
    assert kwargs == {
        "batch_size": 2,
        "chunk_size": 2,
        "engine": engine.Engine(name="dask", chunk_size=8, retries=2),
    }


def test_the_node_encodes_into_the_cache_only(posts, tmp_path):
    manifest = hash_post_images(posts)
    features, labels = encode_post_images(manifest, _parameters(tmp_path), _local())
    table = features.read_all()  # read from the cache when asked for
    assert table.column_names == vision.FEATURE_COLUMNS
    assert len(table["feature"][0].values) == 512 and not table["feature"][1].is_valid
    assert table["error"].to_pylist() == [None, NO_IMAGE]
    assert list(labels.columns) == vision.LABEL_COLUMNS and labels.empty  # random weights
    folders = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert folders[0].startswith("vgg16-pool-random-")  # the features
    assert folders[1:] == ["weight_sets"]  # the encoder, built once


def test_unavailable_weights_stop_the_run_when_random_weights_are_not_allowed(posts, tmp_path):
    parameters = _parameters(
        tmp_path, weights=str(tmp_path / "vgg16.h5"), allow_random_weights=False
    )
    with pytest.raises(WeightsUnavailableError, match="vgg16.h5"):
        encode_post_images(hash_post_images(posts), parameters, _local())
