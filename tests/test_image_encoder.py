"""Tests of the VGG16 encoder: weights policy, precision, and a real forward pass."""

import hashlib
import logging
import os
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from insta_kedro import image_encoder
from insta_kedro.image_encoder import (
    DECODE_ERROR,
    VGG16_WEIGHTS_FILE,
    WeightsUnavailableError,
    encode_images,
    hardware_has_bfloat16,
    load_encoder,
    resolve_encoder_spec,
    resolve_precision,
    vgg16_network,
)


def _draw_images(folder: Path) -> list[str]:
    """A portrait JPEG, a landscape JPEG, a PNG, then a garbage and a truncated file."""
    rng = np.random.default_rng(7)
    paths = []
    for name, (height, width) in [("portrait.jpg", (300, 240)), ("wide.jpg", (180, 320))]:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name)
        paths.append(str(folder / name))
    Image.new("RGB", (230, 230), (200, 30, 60)).save(folder / "red.png")
    paths.append(str(folder / "red.png"))
    (folder / "garbage.jpg").write_bytes(b"this is not an image")
    whole = (folder / "portrait.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    return [*paths, str(folder / "garbage.jpg"), str(folder / "truncated.jpg")]


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _draw_images(tmp_path_factory.mktemp("images"))


@pytest.fixture(scope="module")
def float32_features(image_paths: list[str]) -> np.ndarray:
    spec = resolve_encoder_spec(weights=None, layer="fc2", precision="float32")
    return encode_images(image_paths, load_encoder(spec), batch_size=2).features


def test_explicit_precisions_pass_and_auto_follows_the_hardware():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    expected = "bfloat16" if hardware_has_bfloat16() else "float32"
    assert resolve_precision("auto") == expected
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("float16")


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
    with caplog.at_level(logging.WARNING, logger="insta_kedro.image_encoder"):
        spec = resolve_encoder_spec(weights="imagenet", layer="pool", allow_random_weights=True)
    assert spec.name == "vgg16-pool-random"
    assert not spec.has_labels
    assert sum("RANDOM weights" in record.message for record in caplog.records) == 1

    missing = tmp_path / "my_vgg16.h5"
    assert resolve_encoder_spec(weights=str(missing)).weights == "random"
    with pytest.raises(WeightsUnavailableError, match=str(missing)):
        resolve_encoder_spec(weights=str(missing), allow_random_weights=False)


def test_imagenet_weights_checked_once_are_not_checked_again_until_the_file_changes(
    monkeypatch, tmp_path
):
    """Keras's ``get_file`` reads the whole 528 MB file to check its md5 on every call; with
    a hash memo an unchanged file is trusted, a touched one goes through Keras again."""
    weights = tmp_path / "models" / VGG16_WEIGHTS_FILE
    weights.parent.mkdir()
    weights.write_bytes(b"stand-in for the ImageNet weights")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(
        image_encoder, "VGG16_WEIGHTS_MD5", hashlib.md5(weights.read_bytes()).hexdigest()
    )
    keras_checks = []

    def keras_get_file(*args, **kwargs):
        keras_checks.append(args)
        return str(weights)

    monkeypatch.setattr(keras.utils, "get_file", keras_get_file)
    memo = tmp_path / "cache" / "weights_file_hashes.json"
    specs = [resolve_encoder_spec(weights="imagenet", hash_memo=memo) for _ in range(3)]
    assert len(keras_checks) == 1
    assert {(s.weights, s.weights_path, s.cache_key) for s in specs} == {
        ("imagenet", str(weights), specs[0].cache_key)
    }

    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    resolve_encoder_spec(weights="imagenet", hash_memo=memo)
    assert len(keras_checks) == 2


def test_a_local_weights_file_is_fingerprinted_by_its_bytes(tmp_path):
    weights = tmp_path / "my_vgg16.h5"
    weights.write_bytes(b"first weights")
    memo = tmp_path / "weights_file_hashes.json"
    first = resolve_encoder_spec(weights=str(weights), hash_memo=memo)
    assert first.weights == "file"
    assert first.weights_fingerprint == f"sha256-{hashlib.sha256(b'first weights').hexdigest()}"
    assert resolve_encoder_spec(weights=str(weights), hash_memo=memo) == first

    stat = weights.stat()
    weights.write_bytes(b"other weights")
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed = resolve_encoder_spec(weights=str(weights), hash_memo=memo)
    assert changed.cache_key != first.cache_key  # new bytes never get the old features


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

    monkeypatch.setattr(image_encoder, "glorot_uniform_initializer", no_draw)
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
    batches = image_encoder.start_decoding(image_paths, spec.resize, 2)
    encoder = load_encoder(spec)
    early = encode_images(image_paths, encoder, 2, batches)
    late = encode_images(image_paths, encoder, 2)
    assert early.errors == late.errors == [None, None, None, DECODE_ERROR, DECODE_ERROR]
    np.testing.assert_array_equal(early.features, late.features)


def _decoded(batches) -> tuple[np.ndarray, np.ndarray]:
    indices, images = zip(*((i.numpy(), x.numpy()) for i, x in batches), strict=True)
    return np.concatenate(indices), np.concatenate(images)


def test_a_few_images_decoded_one_by_one_equal_the_tf_data_pipeline(image_paths, monkeypatch):
    assert len(image_paths) <= image_encoder.ONE_BY_ONE_MAX
    one_by_one = _decoded(image_encoder.start_decoding(image_paths, "crop", 2))
    monkeypatch.setattr(image_encoder, "ONE_BY_ONE_MAX", 0)
    pipelined = _decoded(image_encoder.start_decoding(image_paths, "crop", 2))

    np.testing.assert_array_equal(one_by_one[0], [0, 1, 2])  # garbage and truncated skipped
    np.testing.assert_array_equal(one_by_one[0], pipelined[0])
    np.testing.assert_array_equal(one_by_one[1], pipelined[1])
    assert one_by_one[1].shape == (3, 224, 224, 3)


def test_the_image_pipeline_runs_without_the_autotuning_model(image_paths):
    # Its optimization thread made destroying a finished iterator wait (insta_kedro.tf_data_tuning).
    batches = image_encoder.image_batches(image_paths, "crop", 2)
    assert batches.options().autotune.enabled is False
    np.testing.assert_array_equal(_decoded(batches)[0], [0, 1, 2])


def test_float32_and_bfloat16_networks_of_one_seed_hold_the_same_weights():
    float32 = vgg16_network(include_top=False, seed=7, dtype="float32")
    bfloat16 = vgg16_network(include_top=False, seed=7, dtype="bfloat16")
    assert {w.dtype for w in float32.weights} == {"float32"}
    assert {w.dtype for w in bfloat16.weights} == {"bfloat16"}
    for wide, narrow in zip(float32.weights, bfloat16.weights, strict=True):
        # drawn in bfloat16 for both
        np.testing.assert_array_equal(np.asarray(wide), np.asarray(narrow).astype(np.float32))
    kernel = np.asarray(float32.get_layer("block1_conv1").kernel)
    limit = np.sqrt(6 / (3 * 3 * 3 + 3 * 3 * 64))  # Glorot-uniform: fan in + fan out
    assert np.abs(kernel).max() <= limit and kernel.std() > limit / 3


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
    saved = vgg16_network(include_top=True, seed=11, dtype="float32")
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
