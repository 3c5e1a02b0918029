"""Tests of the posts' image features: the cached encoder run and the two contracts."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from insta_kedro.vision import features
from insta_kedro.vision.encoder import DECODE_ERROR
from insta_kedro.vision.features import (
    WEIGHT_SETS,
    encode_image_manifest,
    split_features_and_labels,
)
from insta_kedro.vision.manifest import FILE_NOT_FOUND, NO_IMAGE, build_image_manifest


@pytest.fixture
def posts(tmp_path) -> pd.DataFrame:
    """Two drawn photos, a duplicate of the first, a corrupt file, a missing file, no image."""
    for name, color in [("sun.jpg", (250, 200, 20)), ("sea.jpg", (20, 60, 200))]:
        image = Image.new("RGB", (260, 320), color)
        image.paste((255, 255, 255), (40, 40, 120, 200))
        image.save(tmp_path / name)
    (tmp_path / "copy.jpg").write_bytes((tmp_path / "sun.jpg").read_bytes())
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff broken")
    paths = ["sun.jpg", "sea.jpg", "copy.jpg", "corrupt.jpg", "missing.jpg"]
    return pd.DataFrame(
        {
            "post_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "image_path": [str(tmp_path / p) for p in paths] + [None],
        }
    )


def _encode(manifest: pd.DataFrame, tmp_path, **encoder_options) -> pd.DataFrame:
    options = {"weights": None, "layer": "pool", "precision": "float32", **encoder_options}
    return encode_image_manifest(
        manifest, str(tmp_path / "cache"), options, batch_size=2, chunk_size=2
    )


def test_encode_computes_once_then_serves_from_the_cache(posts, tmp_path, monkeypatch):
    manifest = build_image_manifest(posts)
    first = _encode(manifest, tmp_path)

    assert list(first.columns) == [
        "post_id",
        "image_sha256",
        "feature",
        "encoder",
        "error",
        "labels",
        "probabilities",
    ]
    assert list(first["post_id"]) == list(posts["post_id"])
    assert list(first["error"]) == [None, None, None, DECODE_ERROR, FILE_NOT_FOUND, NO_IMAGE]
    assert set(first["encoder"]) == {"vgg16-pool-random"}
    assert first.loc[0, "feature"].shape == (512,)
    assert first.loc[0, "feature"].dtype == np.float32
    np.testing.assert_array_equal(first.loc[0, "feature"], first.loc[2, "feature"])
    assert not np.allclose(first.loc[0, "feature"], first.loc[1, "feature"])
    assert first["feature"][3:].isna().all()

    def no_model(*args):
        raise AssertionError("every image is cached: no model should be built")

    monkeypatch.setattr(features, "load_encoder", no_model)
    again = _encode(manifest, tmp_path)
    assert list(again["error"]) == list(first["error"])
    for old, new in zip(first["feature"][:3], again["feature"][:3], strict=True):
        np.testing.assert_array_equal(old, new)


def test_only_new_images_are_computed_and_a_new_configuration_recomputes(
    posts, tmp_path, monkeypatch
):
    _encode(build_image_manifest(posts.iloc[:1]), tmp_path)
    encoded_paths = []
    real_encode_images = features.encode_images

    def recording_encode_images(paths, *args):
        encoded_paths.extend(paths)
        return real_encode_images(paths, *args)

    monkeypatch.setattr(features, "encode_images", recording_encode_images)
    manifest = build_image_manifest(posts.iloc[:2])
    _encode(manifest, tmp_path)
    assert encoded_paths == [posts.loc[1, "image_path"]]  # the cached one is not recomputed

    encoded_paths.clear()
    fc2 = _encode(manifest, tmp_path, layer="fc2")
    assert sorted(encoded_paths) == sorted(posts["image_path"][:2])
    assert fc2.loc[0, "feature"].shape == (4096,)
    assert set(fc2["encoder"]) == {"vgg16-fc2-random"}
    folders = {p.name for p in (tmp_path / "cache").iterdir()}
    assert WEIGHT_SETS in folders  # the encoder of each configuration, saved once
    assert len(folders - {WEIGHT_SETS}) == 2  # one folder per configuration


def test_split_gives_the_contract_columns_and_one_label_row_per_rank():
    encodings = pd.DataFrame(
        {
            "post_id": ["p1", "p2"],
            "image_sha256": ["h1", None],
            "feature": [np.ones(3, dtype=np.float32), None],
            "encoder": "vgg16-fc2-imagenet",
            "error": [None, NO_IMAGE],
            "labels": [["tabby", "tiger_cat"], None],
            "probabilities": [np.array([0.6, 0.3], dtype=np.float32), None],
        }
    )
    image_features, labels = split_features_and_labels(encodings)
    assert list(image_features.columns) == [
        "post_id",
        "image_sha256",
        "feature",
        "encoder",
        "error",
    ]
    assert labels.to_dict("list") == {
        "post_id": ["p1", "p1"],
        "rank": [1, 2],
        "label": ["tabby", "tiger_cat"],
        "probability": [pytest.approx(0.6), pytest.approx(0.3)],
    }

    _, no_labels = split_features_and_labels(encodings.assign(labels=None, probabilities=None))
    assert no_labels.empty
    assert list(no_labels.columns) == ["post_id", "rank", "label", "probability"]
