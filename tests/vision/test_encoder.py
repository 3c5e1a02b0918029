"""Tests of the VGG16 encoder: a real forward pass, precision, prepared weights, weights files."""

import logging

import keras
import numpy as np
import pytest

from insta_kedro.vision import decoding as image_decoding
from insta_kedro.vision import encoder as image_encoder
from insta_kedro.vision import vgg16_network
from insta_kedro.vision.encoder import DECODE_ERROR, encode_images, load_encoder
from insta_kedro.vision.encoder_spec import resolve_encoder_spec


@pytest.fixture(scope="module")
def float32_features(image_paths: list[str]) -> np.ndarray:
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="float32")
    return encode_images(image_paths, load_encoder(spec), batch_size=2).features


def test_random_vgg16_forward_pass_gives_reproducible_features(image_paths, float32_features):
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


def test_bfloat16_features_match_float32_and_the_policy_does_not_leak(
    image_paths, float32_features
):
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="bfloat16")
    encoder = load_encoder(spec)
    assert keras.config.dtype_policy().name == "float32"
    assert {weight.dtype for weight in encoder.model.weights} == {"bfloat16"}

    features = encode_images(image_paths[:3], encoder, batch_size=3).features
    assert features.dtype == np.float32
    reference = float32_features[:3]
    cosine = (features * reference).sum(1) / (
        np.linalg.norm(features, axis=1) * np.linalg.norm(reference, axis=1)
    )
    assert cosine.min() > 0.99


def test_prepared_weights_are_saved_once_then_mapped_and_give_the_same_features(
    image_paths, tmp_path, monkeypatch
):
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="bfloat16")
    built = load_encoder(spec, tmp_path)
    expected = encode_images(image_paths[:3], built, batch_size=2).features
    (prepared,) = tmp_path.iterdir()
    assert prepared.name == image_encoder.prepared_weights_key(spec)
    assert "predictions.0.npy" not in {p.name for p in prepared.iterdir()}  # no labels

    def no_draw(*args, **kwargs):
        raise AssertionError("prepared weights must not be drawn again")

    monkeypatch.setattr(vgg16_network, "glorot_uniform_initializer", no_draw)
    mapped = load_encoder(spec, tmp_path)
    np.testing.assert_array_equal(
        encode_images(image_paths[:3], mapped, batch_size=2).features, expected
    )


def test_unusable_prepared_weights_are_built_again(image_paths, tmp_path, caplog):
    spec = resolve_encoder_spec(weights=None, layer="pool", precision="float32")
    load_encoder(spec, tmp_path)
    (prepared,) = tmp_path.iterdir()
    kernel = prepared / "block5_conv3.0.npy"
    kernel.write_bytes(kernel.read_bytes()[:1000])  # truncated, as by a full disk

    with caplog.at_level(logging.WARNING):
        encoder = load_encoder(spec, tmp_path)
    assert "unusable" in caplog.text
    features = encode_images(image_paths[:2], encoder, batch_size=2).features
    reference = encode_images(image_paths[:2], load_encoder(spec), batch_size=2).features
    np.testing.assert_array_equal(features, reference)
    assert kernel.stat().st_size > 1000  # saved again, whole


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
    image_paths, tmp_path, monkeypatch
):
    """Keras's ImageNet file is a Keras-2 HDF5 weights file of ``keras.applications.VGG16``:
    a file of that layout must load into the encoder's network and give the same outputs."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    keras.utils.set_random_seed(3)
    reference = keras.applications.VGG16(weights=None, classifier_activation=None)
    weights_file = tmp_path / "vgg16_weights.h5"
    with h5py.File(weights_file, "w") as group:
        save_weights_to_hdf5_group(group, reference)

    def offline(*args, **kwargs):
        raise Exception("no network")  # noqa: TRY002 - Keras's get_file raises a bare Exception

    monkeypatch.setattr(keras.utils, "get_file", offline)  # ImageNet class names: offline
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

    # In bfloat16 the file's values are rounded once, when they are loaded, to the values
    # mixed precision used to round them to in every call: cached features stay valid.
    # Read block by block straight into the prepared files, then mapped from them.
    spec = resolve_encoder_spec(weights=str(weights_file), precision="bfloat16", top_k=3)
    rounded = keras.ops.cast(reference.get_layer("fc1").kernel, "bfloat16")
    for prepared_weights_dir in (None, tmp_path / "prepared", tmp_path / "prepared"):
        narrow = load_encoder(spec, prepared_weights_dir).model.get_layer("fc1").kernel
        assert narrow.dtype == "bfloat16"
        np.testing.assert_array_equal(
            np.asarray(narrow).astype(np.float32), np.asarray(rounded).astype(np.float32)
        )


def test_a_keras3_weights_file_loads_through_keras(tmp_path, monkeypatch):
    """Files in other layouts than Keras-2 HDF5 are read by ``load_weights``."""
    saved = vgg16_network.vgg16_network(include_top=True, seed=11, dtype="float32")
    weights_file = tmp_path / "vgg16.weights.h5"
    saved.save_weights(weights_file)
    monkeypatch.setattr(image_encoder, "imagenet_class_names", lambda: None)
    spec = resolve_encoder_spec(weights=str(weights_file), precision="float32")
    # loaded, loaded and saved as prepared weights, mapped from those
    for prepared_weights_dir in (None, tmp_path / "prepared", tmp_path / "prepared"):
        model = load_encoder(spec, prepared_weights_dir).model
        for name in ("block1_conv1", "fc2"):
            np.testing.assert_array_equal(
                np.asarray(model.get_layer(name).kernel), np.asarray(saved.get_layer(name).kernel)
            )
    assert (tmp_path / "prepared" / image_encoder.prepared_weights_key(spec)).is_dir()


def test_a_file_that_is_not_weights_is_named_with_its_parameter(tmp_path):
    not_weights = tmp_path / "hostname"
    not_weights.write_text("a-machine\n")
    spec = resolve_encoder_spec(weights=str(not_weights), precision="float32", layer="pool")
    with pytest.raises(
        ValueError, match=r"image_features.weights: .*hostname is not VGG16 weights"
    ):
        load_encoder(spec)
