"""The encoder saved once as a weight set and rebuilt from it without drawing its weights."""

import keras
import numpy as np
import pytest

from insta_kedro.vision import encoder as image_encoder
from insta_kedro.vision.encoder import encode_images, load_encoder
from insta_kedro.vision.encoder_spec import resolve_encoder_spec
from insta_kedro.vision.weight_sets import (
    SavedArray,
    built_once,
    load_weight_set,
    save_weight_set,
)


def _small_network(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.Flatten(name="flat")(x)
    return keras.Model(inputs, keras.layers.Dense(5, name="dense")(x))


def test_a_saved_network_comes_back_with_the_same_weights(tmp_path):
    network = _small_network()
    save_weight_set(network, tmp_path / "set")
    back = load_weight_set(tmp_path / "set")
    for layer in network.layers:
        for saved, loaded in zip(
            layer.get_weights(), back.get_layer(layer.name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(saved, loaded)
    assert not (tmp_path / "set.partial").exists()


def test_built_once_builds_then_reads_back_and_rebuilds_a_broken_set(tmp_path, caplog):
    builds = []

    def build():
        builds.append(1)
        return _small_network(seed=len(builds))

    first = built_once(tmp_path / "set", build)
    second = built_once(tmp_path / "set", build)
    assert len(builds) == 1
    np.testing.assert_array_equal(
        first.get_layer("dense").get_weights()[0], second.get_layer("dense").get_weights()[0]
    )

    (tmp_path / "set" / "dense.0.npy").unlink()
    built_once(tmp_path / "set", build)
    assert len(builds) == 2
    assert "unusable, built anew" in caplog.text
    assert (tmp_path / "set" / "dense.0.npy").is_file()  # saved again

    built_once(None, build)
    assert len(builds) == 3


def test_the_encoder_is_read_back_and_gives_the_same_features(tmp_path, image_paths, monkeypatch):
    spec = resolve_encoder_spec(weights=None, layer="pool", precision="float32")
    first = encode_images(image_paths[:2], load_encoder(spec, tmp_path), batch_size=2).features

    def no_draw(*args, **kwargs):
        pytest.fail("the saved encoder is drawn again")

    monkeypatch.setattr(image_encoder, "_new_vgg16", no_draw)
    again = encode_images(image_paths[:2], load_encoder(spec, tmp_path), batch_size=2).features
    np.testing.assert_array_equal(first, again)


def test_a_variable_from_a_saved_array_never_writes_the_file(tmp_path):
    values = np.arange(4096, dtype=np.float32).reshape(64, 64)
    np.save(tmp_path / "w.npy", values)
    variable = keras.Variable(SavedArray(str(tmp_path / "w.npy")), shape=(64, 64))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), values)

    variable.assign_add(np.ones((64, 64), np.float32))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), values + 1)
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), values)


def test_a_saved_array_off_tensorflows_alignment_is_copied(tmp_path, monkeypatch):
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "w.npy", values)
    real_load = np.load

    def misaligned_load(path, mmap_mode=None):
        loaded = real_load(path, mmap_mode=mmap_mode)
        shifted = np.empty(loaded.nbytes + 4, np.uint8)[4:].view(np.float32).reshape(3, 4)
        shifted[...] = loaded
        return shifted

    monkeypatch.setattr(np, "load", misaligned_load)
    tensor = SavedArray(str(tmp_path / "w.npy"))((3, 4), dtype="float32")
    assert float(keras.ops.sum(tensor)) == float(values.sum())

    with pytest.raises(ValueError, match="saved shape"):
        SavedArray(str(tmp_path / "w.npy"))((4, 3), dtype="float32")


def test_a_mixed_precision_network_comes_back_computing_the_same_in_bfloat16(tmp_path):
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        network = _small_network()
    finally:
        keras.config.set_dtype_policy("float32")
    save_weight_set(network, tmp_path / "set")
    back = load_weight_set(tmp_path / "set")

    dense = back.get_layer("dense")
    assert dense.dtype_policy.name == "bfloat16"
    assert dense.kernel.dtype == "bfloat16"  # cast once when saved, not on every call
    assert np.load(tmp_path / "set" / "dense.0.npy").dtype == np.uint16  # the raw bits
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.kernel),
        keras.ops.convert_to_numpy(keras.ops.cast(network.get_layer("dense").kernel, "bfloat16")),
    )
    images = np.random.default_rng(0).uniform(size=(4, 8, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(back(images)), keras.ops.convert_to_numpy(network(images))
    )


def test_a_bfloat16_encoder_gives_the_same_features_built_or_read_back(tmp_path, image_paths):
    spec = resolve_encoder_spec(weights=None, layer="pool", precision="bfloat16")
    built = encode_images(image_paths[:2], load_encoder(spec), batch_size=2).features
    saved = encode_images(image_paths[:2], load_encoder(spec, tmp_path), batch_size=2).features
    again = encode_images(image_paths[:2], load_encoder(spec, tmp_path), batch_size=2).features
    np.testing.assert_array_equal(saved, built)
    np.testing.assert_array_equal(again, built)
