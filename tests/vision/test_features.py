"""Tests of the posts' image features: the cached encoder run and the two contracts."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from insta_kedro.vision import features
from insta_kedro.vision.encoder import DECODE_ERROR
from insta_kedro.vision.encoder_spec import resolve_encoder_spec
from insta_kedro.vision.feature_cache import FeatureCache
from insta_kedro.vision.features import (
    FILE_CHANGED,
    NOT_IN_CACHE,
    WEIGHT_SETS,
    ImageEncodings,
    encode_image_manifest,
    encode_into_cache,
)
from insta_kedro.vision.manifest import FILE_NOT_FOUND, NO_IMAGE, build_image_manifest, hash_image


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


OPTIONS = {"weights": None, "layer": "pool", "precision": "float32"}


def _encodings(manifest: pd.DataFrame, tmp_path, **encoder_options) -> ImageEncodings:
    options = {**OPTIONS, **encoder_options}
    return encode_image_manifest(
        manifest, str(tmp_path / "cache"), options, batch_size=2, chunk_size=2
    )


def _encode(manifest: pd.DataFrame, tmp_path, **encoder_options) -> pd.DataFrame:
    return _encodings(manifest, tmp_path, **encoder_options).features()


def test_encode_computes_once_then_serves_from_the_cache(posts, tmp_path, monkeypatch):
    manifest = build_image_manifest(posts)
    first = _encode(manifest, tmp_path)

    assert list(first.columns) == ["post_id", "image_sha256", "feature", "encoder", "error"]
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


def test_without_any_usable_image_no_weights_are_fetched_and_no_model_is_built(
    posts, tmp_path, monkeypatch
):
    def not_needed(*args, **kwargs):
        raise AssertionError("no image to encode: no weights to fetch, no model to build")

    monkeypatch.setattr(features, "resolve_encoder_spec", not_needed)
    monkeypatch.setattr(features, "load_encoder", not_needed)
    manifest = build_image_manifest(posts.iloc[4:])  # a missing file, no image

    encodings = _encodings(manifest, tmp_path, weights="imagenet", allow_random_weights=False)
    table = encodings.features()

    assert list(table["post_id"]) == ["p5", "p6"]
    assert list(table["error"]) == [FILE_NOT_FOUND, NO_IMAGE]
    assert table["feature"].isna().all() and table["encoder"].isna().all()
    assert encodings.labels.empty and list(encodings.labels.columns) == features.LABEL_COLUMNS
    assert not (tmp_path / "cache").exists()


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


def _cached_with_labels(tmp_path, posts) -> tuple[pd.DataFrame, FeatureCache]:
    """The manifest of ``posts`` and its cache, filled by hand: the first image with two
    labels, the second without, the corrupt one with its error."""
    manifest = build_image_manifest(posts)
    spec = resolve_encoder_spec(**OPTIONS)
    cache = FeatureCache(tmp_path / "cache", spec.cache_key, spec.describe())
    sun, sea, _, corrupt = manifest["image_sha256"][:4]
    cache.put(
        pd.DataFrame(
            {
                "image_sha256": [sun, sea, corrupt],
                "feature": [np.ones(3, np.float32), np.zeros(3, np.float32), None],
                "labels": [["tabby", "tiger_cat"], None, None],
                "probabilities": [np.array([0.6, 0.3], np.float32), None, None],
                "error": [None, None, DECODE_ERROR],
            }
        )
    )
    return manifest, cache


def test_labels_are_one_row_per_post_and_rank_and_come_from_the_cache(posts, tmp_path):
    manifest, _ = _cached_with_labels(tmp_path, posts)
    encodings = _encodings(manifest, tmp_path)  # every image cached: nothing encoded
    assert encodings.labels.to_dict("list") == {
        "post_id": ["p1", "p1", "p3", "p3"],  # p3's image is p1's
        "rank": [1, 2, 1, 2],
        "label": ["tabby", "tiger_cat", "tabby", "tiger_cat"],
        "probability": [pytest.approx(0.6), pytest.approx(0.3)] * 2,
    }
    assert encodings.labels.dtypes.astype(str).tolist() == ["object", "int64", "object", "float32"]
    table = encodings.features()
    assert list(table["error"]) == [None, None, None, DECODE_ERROR, FILE_NOT_FOUND, NO_IMAGE]
    np.testing.assert_array_equal(table.loc[2, "feature"], np.ones(3))


def test_features_are_read_a_batch_at_a_time_in_the_manifest_order(posts, tmp_path, monkeypatch):
    manifest, cache = _cached_with_labels(tmp_path, posts)
    cache.put(cache.get(manifest["image_sha256"][:1]))  # a newer copy of the first image
    encodings = _encodings(manifest, tmp_path)
    read = []
    real_features = encodings.cached.features
    monkeypatch.setattr(
        encodings.cached, "features", lambda h: read.append(list(h)) or real_features(h)
    )
    batches = encodings.feature_batches(batch_rows=4)
    assert read == []  # nothing read before the batches are asked for
    sizes = [batch.num_rows for batch in batches]
    assert sizes == [4, 2] and len(read) == 2
    assert read[1] == [None, None]  # the missing file and the post without an image
    whole = encodings.features()
    assert whole["post_id"].tolist() == list(posts["post_id"])
    assert whole["feature"][:3].map(list).tolist() == [[1, 1, 1], [0, 0, 0], [1, 1, 1]]
    assert whole["feature"][3:].isna().all()


def test_a_hash_the_cache_cannot_give_back_is_counted_not_dropped(posts, tmp_path, monkeypatch):
    _cached_with_labels(tmp_path, posts)
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff broken again")  # new bytes
    manifest = build_image_manifest(posts)  # one image to encode: the cache is looked at again
    real_locate = FeatureCache.locate
    calls = []

    def losing_the_second_image_after_the_first_look(self, hashes):
        found = real_locate(self, hashes)
        calls.append(1)
        if len(calls) > 1:  # the part that held it became unreadable meanwhile
            found.rows = found.rows.drop(index=manifest["image_sha256"][1])
        return found

    monkeypatch.setattr(FeatureCache, "locate", losing_the_second_image_after_the_first_look)
    table = _encode(manifest, tmp_path)
    assert table["post_id"].tolist() == list(posts["post_id"])
    assert table.loc[1, "error"] == NOT_IN_CACHE and table.loc[1, "feature"] is None


def test_a_worker_that_does_not_see_the_photos_or_the_cache_caches_nothing(posts, tmp_path):
    """A Dask worker whose storage is not the shared one: a photo it cannot find is no photo
    that cannot be decoded, and nothing is cached for it."""
    spec = resolve_encoder_spec(**OPTIONS)
    cache = FeatureCache(tmp_path / "cache", spec.cache_key, spec.describe())
    chunk = [("a" * 64, str(tmp_path / "sun.jpg")), ("b" * 64, str(tmp_path / "missing.jpg"))]
    with pytest.raises(FileNotFoundError, match=r"1 of the chunk's 2 photos \(e\.g\. .*missing"):
        encode_into_cache(chunk, str(tmp_path / "cache"), spec, 2, None)
    assert cache.parts() == []
    elsewhere = tmp_path / "not_the_shared_cache"
    with pytest.raises(FileNotFoundError, match=r"does not see the feature cache .*shared_cache"):
        encode_into_cache(chunk[:1], str(elsewhere), spec, 2, None)
    assert not elsewhere.exists()


def test_images_the_workers_put_in_another_cache_stop_the_run(posts, tmp_path):
    spec = resolve_encoder_spec(**OPTIONS)
    cache = FeatureCache(tmp_path / "cache", spec.cache_key, spec.describe())
    sun = str(tmp_path / "sun.jpg")
    sent = {hash_image(sun)[1]: sun}
    with pytest.raises(FileNotFoundError, match=r"1 of them \(e\.g\. .*sun\.jpg\) are not in"):
        features._check_workers_wrote(sent, cache.locate(sent), cache)


def test_images_the_workers_left_out_as_changed_files_are_no_storage_problem(posts, tmp_path):
    spec = resolve_encoder_spec(**OPTIONS)
    cache = FeatureCache(tmp_path / "cache", spec.cache_key, spec.describe())
    sun = str(tmp_path / "sun.jpg")
    sent = {hash_image(sun)[1]: sun, "a" * 64: str(tmp_path / "sea.jpg")}
    (tmp_path / "sun.jpg").unlink()
    changed = features._check_workers_wrote(sent, cache.locate(sent), cache)
    assert changed == set(sent)


@pytest.mark.parametrize(("feature_size", "sizes"), [(512, [5000]), (4096, [4096, 904])])
def test_a_batch_holds_at_most_64_mib_of_features(feature_size, sizes, tmp_path):
    posts = pd.DataFrame(
        {"post_id": [f"p{i}" for i in range(5000)], "image_sha256": None, "error": NO_IMAGE}
    )
    nothing_cached = FeatureCache(tmp_path, "key", {}).locate([])
    encodings = ImageEncodings(posts, pd.DataFrame(), "vgg16", feature_size, nothing_cached)
    assert [batch.num_rows for batch in encodings.feature_batches()] == sizes


def test_the_run_says_which_encoder_the_features_come_from(posts, tmp_path, monkeypatch):
    """The run's parameter ``image_features.weights`` says what was asked for (``imagenet`` by
    default); without those weights the features come from random ones, and the run's tags
    say so."""
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking_utils

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # this test's store, whatever store an earlier test set; the earlier one back afterwards
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.MlflowClient(uri).create_experiment("image_features")
    with mlflow.start_run(experiment_id=experiment) as run:
        _encode(build_image_manifest(posts), tmp_path)
    tags = mlflow.MlflowClient(uri).get_run(run.info.run_id).data.tags
    assert tags["image_features.encoder"] == "vgg16-pool-random"
    assert tags["image_features.encoder_weights"] == "random"
    _encode(build_image_manifest(posts), tmp_path)  # no active run: nothing to tag


def test_the_encoder_tags_name_every_encoder_and_its_weights():
    from insta_kedro.vision import encoder_tags, used_encoders

    table = pd.DataFrame(
        {
            "encoder": ["vgg16-fc2-random", "vgg16-fc2-imagenet", "vgg16-fc2-file", None],
            "error": [None, None, "cannot decode image", "no image"],
        }
    )
    assert used_encoders(table) == ["vgg16-fc2-imagenet", "vgg16-fc2-random"]
    assert encoder_tags(used_encoders(table)) == {
        "image_features.encoder": "vgg16-fc2-imagenet,vgg16-fc2-random",
        "image_features.encoder_weights": "imagenet,random",
    }
    assert encoder_tags(["clip-vit-b32"])["image_features.encoder_weights"] == "other"
    assert encoder_tags([]) == {}


def test_a_photo_removed_after_hashing_is_not_cached_as_undecodable(posts, tmp_path):
    """hash_post_images hashed it, then it was moved away before encode_post_images read it
    (an account's folder moved during the run): once back, its bytes are encoded."""
    manifest = build_image_manifest(posts)
    sea = tmp_path / "sea.jpg"
    moved = sea.rename(tmp_path / "moved.jpg")

    first = _encode(manifest, tmp_path)
    assert first.loc[1, "error"] == FILE_CHANGED and first.loc[1, "feature"] is None
    assert first.loc[0, "error"] is None and first.loc[3, "error"] == DECODE_ERROR

    moved.rename(sea)
    again = _encode(manifest, tmp_path)
    assert again.loc[1, "error"] is None
    assert again.loc[1, "feature"].shape == (512,)


def test_a_photo_replaced_after_hashing_gives_its_old_hash_no_feature(posts, tmp_path):
    """The file was rewritten with other bytes between hashing and encoding: the features of
    the new bytes are never served for the old ones."""
    manifest = build_image_manifest(posts)
    sea = tmp_path / "sea.jpg"
    original = sea.read_bytes()
    Image.new("RGB", (200, 200), (0, 255, 0)).save(sea)

    first = _encode(manifest, tmp_path)
    assert first.loc[1, "error"] == FILE_CHANGED

    sea.write_bytes(original)
    again = _encode(manifest, tmp_path)
    fresh = _encodings(manifest, tmp_path / "fresh").features()
    np.testing.assert_array_equal(again.loc[1, "feature"], fresh.loc[1, "feature"])
