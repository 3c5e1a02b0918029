"""Tests of the encoder's specification: weights policy, precision and the cache key."""

import hashlib
import logging
import os
from typing import get_args

import keras
import pytest

from insta_kedro.vision import encoder_spec
from insta_kedro.vision.decoding import RESIZE_MODES
from insta_kedro.vision.encoder_spec import (
    FEATURE_SIZES,
    VGG16_WEIGHTS_FILE,
    VGG16_WEIGHTS_MD5,
    WeightsUnavailableError,
    hardware_has_bfloat16,
    resolve_encoder_spec,
    resolve_precision,
)
from insta_kedro.vision.params import Layer, ResizeMode


def test_explicit_precisions_pass_and_auto_follows_the_hardware():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    expected = "bfloat16" if hardware_has_bfloat16() else "float32"
    assert resolve_precision("auto") == expected


def test_the_settings_types_name_what_the_encoder_knows():
    """``image_features.layer`` and ``resize`` (``vision.params``) are the layers the encoder
    has a feature size for and the resize modes decoding knows."""
    assert set(get_args(Layer)) == set(FEATURE_SIZES)
    assert get_args(ResizeMode) == RESIZE_MODES


def test_unavailable_imagenet_weights_name_the_file_to_place(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(WeightsUnavailableError) as error:
        resolve_encoder_spec(weights="imagenet", allow_random_weights=False)
    assert str(tmp_path / "models" / VGG16_WEIGHTS_FILE) in str(error.value)


def test_unavailable_weights_fall_back_to_labelled_random_weights(monkeypatch, tmp_path, caplog):
    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with caplog.at_level(logging.WARNING, logger="insta_kedro.vision.encoder_spec"):
        spec = resolve_encoder_spec(weights="imagenet", layer="pool", allow_random_weights=True)
    assert spec.name == "vgg16-pool-random"
    assert not spec.has_labels
    assert sum("RANDOM weights" in record.message for record in caplog.records) == 1

    missing = tmp_path / "my_vgg16.h5"
    assert resolve_encoder_spec(weights=str(missing)).weights == "random"
    with pytest.raises(WeightsUnavailableError, match=str(missing)):
        resolve_encoder_spec(weights=str(missing), allow_random_weights=False)


def test_imagenet_weights_are_fetched_and_checked_by_keras(monkeypatch, tmp_path):
    """Keras's ``get_file`` downloads the ImageNet file once into its cache and checks its
    md5; the spec then names Keras's weights, fingerprinted by that md5."""
    keras_calls = []

    def keras_get_file(*args, **kwargs):
        keras_calls.append((args, kwargs))
        return str(tmp_path / "models" / VGG16_WEIGHTS_FILE)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # Keras's cache: empty
    monkeypatch.setattr(keras.utils, "get_file", keras_get_file)
    spec = resolve_encoder_spec(weights="imagenet")
    ((args, kwargs),) = keras_calls
    assert args[0] == VGG16_WEIGHTS_FILE
    assert kwargs == {"cache_subdir": "models", "file_hash": VGG16_WEIGHTS_MD5}
    assert (spec.weights, spec.weights_path, spec.has_labels) == ("imagenet", None, True)
    assert spec.weights_fingerprint == f"md5-{VGG16_WEIGHTS_MD5}"


def test_the_imagenet_file_in_keras_cache_is_not_read_to_resolve_the_spec(monkeypatch, tmp_path):
    """Keras checks the cached file's md5 when it builds VGG16 from it; resolving the spec of
    every run does not read its 528 MB again."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / VGG16_WEIGHTS_FILE).write_bytes(b"stand-in")

    def keras_get_file(*args, **kwargs):
        pytest.fail("the cached ImageNet file is fetched or checked again")

    monkeypatch.setattr(keras.utils, "get_file", keras_get_file)
    spec = resolve_encoder_spec(weights="imagenet")
    assert (spec.weights, spec.weights_path, spec.has_labels) == ("imagenet", None, True)
    assert spec.weights_fingerprint == f"md5-{VGG16_WEIGHTS_MD5}"


def test_a_local_weights_file_is_fingerprinted_by_its_bytes(tmp_path):
    weights = tmp_path / "my_vgg16.h5"
    weights.write_bytes(b"first weights")
    first = resolve_encoder_spec(weights=str(weights))
    assert (first.weights, first.weights_path) == ("file", str(weights))
    assert first.weights_fingerprint == f"sha256-{hashlib.sha256(b'first weights').hexdigest()}"
    assert resolve_encoder_spec(weights=str(weights)) == first

    stat = weights.stat()
    weights.write_bytes(b"other weights")
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and times
    changed = resolve_encoder_spec(weights=str(weights))
    assert changed.cache_key != first.cache_key  # new bytes never get the old features


def test_a_local_copy_of_the_imagenet_file_is_recognised_by_its_md5(tmp_path, monkeypatch):
    weights = tmp_path / "vgg16.h5"
    weights.write_bytes(b"stand-in for the ImageNet weights")
    monkeypatch.setattr(
        encoder_spec, "VGG16_WEIGHTS_MD5", hashlib.md5(weights.read_bytes()).hexdigest()
    )
    spec = resolve_encoder_spec(weights=str(weights))
    assert (spec.weights, spec.weights_path) == ("imagenet", str(weights))


def test_random_weights_have_a_fingerprint_of_keras_draw():
    """Features cached with the earlier hand-made draw (``glorot-uniform-bfloat16-pcg64-…``)
    have another cache key, so they are never served for Keras's draw."""
    spec = resolve_encoder_spec(weights=None, precision="float32", random_seed=42)
    assert spec.weights_fingerprint == "keras-glorot-uniform-seed-42"
    assert (spec.weights, spec.weights_path, spec.random_seed) == ("random", None, 42)


def test_cache_key_follows_every_setting_that_changes_features():
    base = resolve_encoder_spec(weights=None, precision="float32")
    assert base.cache_key == resolve_encoder_spec(weights=None, precision="float32").cache_key
    changed = [
        resolve_encoder_spec(weights=None, precision="bfloat16"),
        resolve_encoder_spec(weights=None, precision="float32", layer="pool"),
        resolve_encoder_spec(weights=None, precision="float32", random_seed=1),
        resolve_encoder_spec(weights=None, precision="float32", resize="pad"),
    ]
    assert len({base.cache_key, *(spec.cache_key for spec in changed)}) == 5
