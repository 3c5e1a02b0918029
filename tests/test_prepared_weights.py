"""Tests of the prepared weights: saved from a built network, mapped back without a copy."""

import json
import logging

import keras
import numpy as np
import pytest

from insta_kedro.encoder_weights import TENSOR_ALIGNMENT, glorot_uniform_initializer
from insta_kedro.prepared_weights import MANIFEST, PreparedWeights


def _network(dtype: str) -> keras.Model:
    inputs = keras.Input((40,))
    hidden = keras.layers.Dense(
        24, name="hidden", dtype=dtype, kernel_initializer=glorot_uniform_initializer(3)
    )(inputs)
    flat = keras.layers.Flatten(name="flat", dtype=dtype)(hidden)  # a layer without weights
    return keras.Model(inputs, keras.layers.Dense(5, name="out", dtype=dtype)(flat))


@pytest.mark.parametrize(("dtype", "stored"), [("float32", np.float32), ("bfloat16", np.uint16)])
def test_saved_weights_come_back_mapped_aligned_and_equal(tmp_path, dtype, stored):
    network = _network(dtype)
    store = PreparedWeights(tmp_path, "set")
    assert store.load() is None  # nothing saved yet
    store.save(network)

    manifest = json.loads((tmp_path / "set" / MANIFEST).read_text())
    assert set(manifest["layers"]) == {"hidden", "out"}
    weights = store.load()
    for layer in ("hidden", "out"):
        kernel, bias = weights.layer(layer)
        assert isinstance(kernel, np.memmap) and kernel.dtype == stored
        assert kernel.ctypes.data % TENSOR_ALIGNMENT == 0
        expected = [np.asarray(w).astype(np.float32) for w in network.get_layer(layer).weights]
        for mapped, values in zip((kernel, bias), expected, strict=True):
            as_float32 = mapped if stored == np.float32 else _bfloat16_bits_to_float32(mapped)
            np.testing.assert_array_equal(as_float32, values)
    with pytest.raises(ValueError, match="no layer 'fc1'"):
        weights.layer("fc1")


def _bfloat16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    return (np.asarray(bits).astype(np.uint32) << 16).view(np.float32)


def test_mapped_weights_are_copy_on_write(tmp_path):
    store = PreparedWeights(tmp_path, "set")
    store.save(_network("float32"))
    kernel, _ = store.load().layer("hidden")
    kernel[0, 0] = 123.0  # a private copy of the page; the file keeps its value
    again, _ = store.load().layer("hidden")
    assert again[0, 0] != 123.0


def test_an_incomplete_set_is_ignored_and_a_broken_manifest_warned_about(tmp_path, caplog):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "hidden.0.npy").write_bytes(b"half a file")  # no manifest: not done
    store = PreparedWeights(tmp_path, "set")
    assert store.load() is None
    store.save(_network("float32"))  # replaces the incomplete folder
    assert store.load() is not None

    (tmp_path / "set" / MANIFEST).write_text("{ truncated")
    with caplog.at_level(logging.WARNING):
        assert store.load() is None
    assert "ignoring" in caplog.text


def test_only_the_most_recently_used_sets_are_kept(tmp_path):
    network = _network("float32")
    first, second, third = (PreparedWeights(tmp_path, key, keep=2) for key in "abc")
    first.save(network)
    second.save(network)
    first.load()  # used again: now more recent than b
    third.save(network)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c"]


def test_a_failed_save_warns_and_leaves_nothing(tmp_path, caplog):
    blocker = tmp_path / "root"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        PreparedWeights(blocker, "set").save(_network("float32"))  # does not raise
    assert "could not save" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == ["root"]
