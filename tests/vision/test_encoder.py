"""Tests of the VGG16 encoder: a real forward pass, precision, and each source of weights."""

import random

import keras
import numpy as np
import pytest

from insta_kedro.vision import decoding as image_decoding
from insta_kedro.vision import encoder as image_encoder
from insta_kedro.vision.encoder import DECODE_ERROR, encode_images, load_encoder
from insta_kedro.vision.encoder_spec import (
    VGG16_WEIGHTS_FILE,
    VGG16_WEIGHTS_MD5,
    resolve_encoder_spec,
)


@pytest.fixture(scope="module")
def float32_features(image_paths: list[str]) -> np.ndarray:
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="float32")
    return encode_images(image_paths, load_encoder(spec), batch_size=2).features


@pytest.fixture(scope="module")
def keras2_weights_file(tmp_path_factory):
    """``keras.applications.VGG16`` (seeded random values, logits) saved as a Keras-2 HDF5
    weights file, the layout of Keras's ImageNet file; returns (path, the saved model). The
    tests only read them."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    keras.utils.set_random_seed(3)
    reference = keras.applications.VGG16(weights=None, classifier_activation=None)
    weights_file = tmp_path_factory.mktemp("keras2") / "vgg16_weights.h5"
    with h5py.File(weights_file, "w") as group:
        save_weights_to_hdf5_group(group, reference)
    return weights_file, reference


def _offline(*args, **kwargs):
    raise Exception("no network")  # noqa: TRY002 - Keras's get_file raises a bare Exception


def test_random_vgg16_forward_pass_gives_reproducible_features(image_paths, float32_features):
    random.seed(1)  # whatever the global generators hold, the seed decides the weights
    np.random.seed(1)
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="float32")
    encoded = encode_images(image_paths, load_encoder(spec), batch_size=2)

    assert encoded.errors == [None, None, None, DECODE_ERROR, DECODE_ERROR]
    assert encoded.labels is None
    assert encoded.features.shape == (5, 4096)
    assert encoded.features.dtype == np.float32
    good = encoded.features[:3]
    assert np.isfinite(good).all() and (good > 0).any()
    assert np.isnan(encoded.features[3:]).all()
    assert not np.allclose(good[0], good[1])  # different images, different features
    np.testing.assert_array_equal(good, float32_features[:3])  # same seed, same weights


def test_random_weights_are_keras_vgg16_drawn_after_seeding_and_the_seed_matters():
    spec = resolve_encoder_spec(weights=None, layer="pool", precision="float32", random_seed=5)
    assert spec.weights_fingerprint == "keras-glorot-uniform-seed-5"
    model = load_encoder(spec).model
    assert "fc1" not in {layer.name for layer in model.layers}  # pool needs no classifier
    keras.utils.set_random_seed(5)
    reference = keras.applications.VGG16(weights=None, include_top=False)
    for name in ("block1_conv1", "block5_conv3"):
        np.testing.assert_array_equal(
            np.asarray(model.get_layer(name).kernel), np.asarray(reference.get_layer(name).kernel)
        )
    other = load_encoder(resolve_encoder_spec(weights=None, layer="pool", precision="float32"))
    assert not np.array_equal(
        np.asarray(other.model.get_layer("block1_conv1").kernel),
        np.asarray(model.get_layer("block1_conv1").kernel),
    )


def test_bfloat16_features_match_float32_and_the_policy_does_not_leak(
    image_paths, float32_features
):
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="bfloat16")
    encoder = load_encoder(spec)
    assert keras.config.dtype_policy().name == "float32"
    assert {weight.dtype for weight in encoder.model.weights} == {"float32"}
    assert {layer.compute_dtype for layer in encoder.model.layers if layer.weights} == {"bfloat16"}

    features = encode_images(image_paths[:3], encoder, batch_size=3).features
    assert features.dtype == np.float32
    reference = float32_features[:3]
    cosine = (features * reference).sum(1) / (
        np.linalg.norm(features, axis=1) * np.linalg.norm(reference, axis=1)
    )
    assert cosine.min() > 0.99


def test_a_float32_encoder_ignores_and_restores_another_global_policy():
    keras.config.set_dtype_policy("bfloat16")
    try:
        encoder = load_encoder(
            resolve_encoder_spec(weights=None, layer="pool", precision="float32")
        )
        assert keras.config.dtype_policy().name == "bfloat16"
    finally:
        keras.config.set_dtype_policy("float32")
    assert {layer.compute_dtype for layer in encoder.model.layers if layer.weights} == {"float32"}
    assert {weight.dtype for weight in encoder.model.weights} == {"float32"}


def test_one_trace_serves_every_batch_size(image_paths):
    encoder = load_encoder(resolve_encoder_spec(weights=None, layer="pool", precision="float32"))
    encode_images(image_paths, encoder, batch_size=2)  # batches of 2 and 1
    encode_images(image_paths[:3], encoder, batch_size=3)
    assert encoder.predict.experimental_get_tracing_count() == 1


def test_decoding_started_before_the_build_gives_the_same_features(image_paths):
    spec = resolve_encoder_spec(weights=None, layer="pool", precision="float32")
    batches = image_decoding.start_decoding(image_paths, spec.resize, 2)
    encoder = load_encoder(spec)
    early = encode_images(image_paths, encoder, 2, batches)
    late = encode_images(image_paths, encoder, 2)
    assert early.errors == late.errors == [None, None, None, DECODE_ERROR, DECODE_ERROR]
    np.testing.assert_array_equal(early.features, late.features)


def test_a_weights_file_in_keras_vgg16_layout_loads_and_gives_labels(
    image_paths, keras2_weights_file, monkeypatch
):
    """Keras's ImageNet file is a Keras-2 HDF5 weights file of ``keras.applications.VGG16``:
    a file of that layout loads into the encoder and gives the same outputs."""
    weights_file, reference = keras2_weights_file
    monkeypatch.setattr(keras.utils, "get_file", _offline)  # ImageNet class names: offline
    spec = resolve_encoder_spec(weights=str(weights_file), precision="float32", top_k=3)
    assert (spec.weights, spec.has_labels) == ("file", True)
    encoder = load_encoder(spec)

    pixels = np.random.default_rng(0).uniform(-120, 130, (2, 224, 224, 3)).astype(np.float32)
    features, logits = (np.asarray(output) for output in encoder.model(pixels))
    reference_fc2 = keras.Model(reference.input, reference.get_layer("fc2").output)
    np.testing.assert_allclose(features, np.asarray(reference_fc2(pixels)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits, np.asarray(reference(pixels)), rtol=1e-5, atol=1e-5)

    encoded = encode_images(image_paths, encoder, batch_size=2)
    assert encoded.errors == [None, None, None, DECODE_ERROR, DECODE_ERROR]
    assert all(len(labels) == 3 for labels in encoded.labels)
    assert encoded.labels[0][0].startswith("imagenet_class_")
    top = encoded.probabilities[:3]
    assert (np.diff(top, axis=1) <= 0).all() and (top.sum(axis=1) <= 1 + 1e-6).all()

    # In bfloat16 the file's values stay float32 variables; the arithmetic is bfloat16.
    spec = resolve_encoder_spec(weights=str(weights_file), precision="bfloat16", top_k=3)
    model = load_encoder(spec).model
    kernel = model.get_layer("fc1").kernel
    assert (kernel.dtype, model.get_layer("fc1").compute_dtype) == ("float32", "bfloat16")
    # fc1 holds 103 million values: np.array_equal compares them without
    # assert_array_equal's per-element report.
    assert np.array_equal(np.asarray(kernel), np.asarray(reference.get_layer("fc1").kernel))


def test_imagenet_weights_come_through_keras_applications_and_its_checked_download(
    keras2_weights_file, monkeypatch, tmp_path
):
    """``weights: imagenet`` builds ``keras.applications.VGG16(weights="imagenet")``: Keras
    fetches its file (here a stand-in in its layout) with the md5 it checks, and loads it."""
    weights_file, reference = keras2_weights_file
    fetched = []

    def keras_get_file(fname, origin=None, **kwargs):
        if fname != VGG16_WEIGHTS_FILE:
            raise Exception("no network")  # noqa: TRY002 - the class index: offline
        fetched.append(kwargs.get("file_hash"))
        return str(weights_file)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # Keras's cache: empty
    monkeypatch.setattr(keras.utils, "get_file", keras_get_file)
    monkeypatch.setattr("keras.src.utils.file_utils.get_file", keras_get_file)
    spec = resolve_encoder_spec(weights="imagenet", layer="pool", precision="float32")
    assert (spec.weights, spec.weights_path, spec.has_labels) == ("imagenet", None, True)
    model = load_encoder(spec).model
    assert fetched == [VGG16_WEIGHTS_MD5, VGG16_WEIGHTS_MD5]  # resolving, then building
    assert [output.shape for output in model.outputs] == [(None, 512), (None, 1000)]
    for name in ("block1_conv1", "predictions"):
        np.testing.assert_array_equal(
            np.asarray(model.get_layer(name).kernel), np.asarray(reference.get_layer(name).kernel)
        )


def test_a_keras3_weights_file_loads_through_keras(tmp_path, monkeypatch):
    """A Keras 3 ``.weights.h5`` of ``keras.applications.VGG16`` loads as well."""
    keras.utils.set_random_seed(11)
    saved = keras.applications.VGG16(weights=None)
    weights_file = tmp_path / "vgg16.weights.h5"
    saved.save_weights(weights_file)
    monkeypatch.setattr(image_encoder, "imagenet_class_names", lambda: None)
    spec = resolve_encoder_spec(weights=str(weights_file), precision="float32")
    model = load_encoder(spec).model
    for name in ("block1_conv1", "fc2", "predictions"):
        np.testing.assert_array_equal(
            np.asarray(model.get_layer(name).kernel), np.asarray(saved.get_layer(name).kernel)
        )


def test_a_file_that_is_not_weights_is_named_with_its_parameter(tmp_path):
    not_weights = tmp_path / "hostname"
    not_weights.write_text("a-machine\n")
    spec = resolve_encoder_spec(weights=str(not_weights), precision="float32", layer="pool")
    with pytest.raises(
        ValueError, match=r"image_features.weights: .*hostname is not VGG16 weights"
    ):
        load_encoder(spec)
