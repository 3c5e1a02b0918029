"""Tests of the image_features nodes: hashing, the cached encoder run, and the contracts."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from insta_kedro.pipelines.image_features import nodes
from insta_kedro.pipelines.image_features.nodes import (
    FILE_NOT_FOUND,
    NO_IMAGE,
    encode_post_images,
    hash_post_images,
    split_features_and_labels,
)
from insta_kedro.vision import DECODE_ERROR, WeightsUnavailableError


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


def _parameters(tmp_path, **overrides) -> dict:
    return {
        "weights": None,
        "layer": "pool",
        "precision": "float32",
        "batch_size": 2,
        "chunk_size": 2,
        "cache_dir": str(tmp_path / "cache"),
        **overrides,
    }


def test_hash_post_images_hashes_files_and_says_why_others_have_no_hash(posts):
    manifest = hash_post_images(posts)
    expected = hashlib.sha256(Path(posts.loc[0, "image_path"]).read_bytes()).hexdigest()
    assert manifest.loc[0, "image_sha256"] == expected
    assert manifest.loc[2, "image_sha256"] == expected  # same bytes, same hash
    assert list(manifest["error"]) == [None, None, None, None, FILE_NOT_FOUND, NO_IMAGE]
    assert list(manifest["post_id"]) == list(posts["post_id"])


def test_encode_computes_once_then_serves_from_the_cache(posts, tmp_path, monkeypatch):
    manifest = hash_post_images(posts)
    first = encode_post_images(manifest, _parameters(tmp_path))

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

    monkeypatch.setattr(nodes, "load_encoder", no_model)
    again = encode_post_images(manifest, _parameters(tmp_path))
    assert list(again["error"]) == list(first["error"])
    for old, new in zip(first["feature"][:3], again["feature"][:3], strict=True):
        np.testing.assert_array_equal(old, new)


def test_only_new_images_are_computed_and_a_new_configuration_recomputes(
    posts, tmp_path, monkeypatch
):
    encode_post_images(hash_post_images(posts.iloc[:1]), _parameters(tmp_path))
    encoded_paths = []
    real_encode_images = nodes.encode_images

    def recording_encode_images(paths, *args):
        encoded_paths.extend(paths)
        return real_encode_images(paths, *args)

    monkeypatch.setattr(nodes, "encode_images", recording_encode_images)
    manifest = hash_post_images(posts.iloc[:2])
    encode_post_images(manifest, _parameters(tmp_path))
    assert encoded_paths == [posts.loc[1, "image_path"]]  # the cached one is not recomputed

    encoded_paths.clear()
    fc2 = encode_post_images(manifest, _parameters(tmp_path, layer="fc2"))
    assert sorted(encoded_paths) == sorted(posts["image_path"][:2])
    assert fc2.loc[0, "feature"].shape == (4096,)
    assert set(fc2["encoder"]) == {"vgg16-fc2-random"}
    configurations = {p.name for p in (tmp_path / "cache").iterdir()} - {nodes.PREPARED_WEIGHTS}
    assert len(configurations) == 2  # one folder per configuration


@pytest.mark.parametrize("prepared", [True, False])
def test_the_weights_are_prepared_in_the_cache_unless_turned_off(posts, tmp_path, prepared):
    manifest = hash_post_images(posts.iloc[:1])
    encode_post_images(manifest, _parameters(tmp_path, prepared_weights=prepared))
    prepared_sets = tmp_path / "cache" / nodes.PREPARED_WEIGHTS
    assert prepared_sets.is_dir() == prepared
    if prepared:  # saved whole before the node returned
        (prepared_set,) = prepared_sets.iterdir()
        assert (prepared_set / "manifest.json").is_file()


def test_unavailable_weights_stop_the_run_when_random_weights_are_not_allowed(posts, tmp_path):
    parameters = _parameters(
        tmp_path, weights=str(tmp_path / "vgg16.h5"), allow_random_weights=False
    )
    with pytest.raises(WeightsUnavailableError, match="vgg16.h5"):
        encode_post_images(hash_post_images(posts), parameters)


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
    features, labels = split_features_and_labels(encodings)
    assert list(features.columns) == ["post_id", "image_sha256", "feature", "encoder", "error"]
    assert labels.to_dict("list") == {
        "post_id": ["p1", "p1"],
        "rank": [1, 2],
        "label": ["tabby", "tiger_cat"],
        "probability": [pytest.approx(0.6), pytest.approx(0.3)],
    }

    _, no_labels = split_features_and_labels(encodings.assign(labels=None, probabilities=None))
    assert no_labels.empty
    assert list(no_labels.columns) == ["post_id", "rank", "label", "probability"]
