"""Tests of the prepared weights: written as they are made, mapped back without a copy."""

import errno
import json
import logging
import os
import time

import keras
import ml_dtypes
import numpy as np
import pytest

from insta_kedro.vision import prepared_weights
from insta_kedro.vision.encoder_weights import TENSOR_ALIGNMENT, glorot_uniform_initializer
from insta_kedro.vision.prepared_weights import MANIFEST, PreparedWeights

ARRAYS = {"hidden": [(40, 24), (24,)], "out": [(24, 5), (5,)]}


def _write_set(store: PreparedWeights, dtype=np.uint16) -> dict[str, list[np.ndarray]]:
    """Fill a new set the way a build does (allocate, then write into the array)."""
    rng = np.random.default_rng(1)
    written = {}
    with store.writer() as writer:
        for layer, shapes in ARRAYS.items():
            allocate = writer.allocator(layer)
            written[layer] = []
            for shape in shapes:
                array = allocate(shape, np.dtype(dtype))
                assert isinstance(array, np.memmap)  # the file itself, mapped
                array[...] = rng.integers(0, 60000, shape).astype(dtype)
                written[layer].append(np.array(array))
    return written


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_arrays_written_by_a_build_come_back_mapped_aligned_and_equal(tmp_path, dtype):
    store = PreparedWeights(tmp_path, "set")
    assert store.load() is None  # nothing saved yet
    written = _write_set(store, dtype)

    manifest = json.loads((tmp_path / "set" / MANIFEST).read_text())
    assert manifest["layers"] == {
        "hidden": ["hidden.0.npy", "hidden.1.npy"],
        "out": ["out.0.npy", "out.1.npy"],
    }
    weights = store.load()
    for layer, arrays in written.items():
        for mapped, values in zip(weights.layer(layer), arrays, strict=True):
            assert isinstance(mapped, np.memmap) and mapped.dtype == dtype
            assert mapped.ctypes.data % TENSOR_ALIGNMENT == 0
            np.testing.assert_array_equal(mapped, values)
    with pytest.raises(ValueError, match="no layer 'fc1'"):
        weights.layer("fc1")


@pytest.mark.parametrize(("dtype", "stored"), [("float32", np.float32), ("bfloat16", np.uint16)])
def test_a_loaded_keras_model_is_copied_into_a_set(tmp_path, dtype, stored):
    inputs = keras.Input((40,))
    hidden = keras.layers.Dense(
        24, name="hidden", dtype=dtype, kernel_initializer=glorot_uniform_initializer(3)
    )(inputs)
    flat = keras.layers.Flatten(name="flat", dtype=dtype)(hidden)  # a layer without weights
    network = keras.Model(inputs, keras.layers.Dense(5, name="out", dtype=dtype)(flat))
    store = PreparedWeights(tmp_path, "set")
    with store.writer() as writer:
        writer.copy_from(network)

    weights = store.load()
    assert set(weights.files_by_layer) == {"hidden", "out"}
    kernel, _ = weights.layer("hidden")
    assert kernel.dtype == stored
    expected = np.asarray(network.get_layer("hidden").kernel).astype(np.float32)
    as_float32 = (
        kernel if stored == np.float32 else kernel.view(ml_dtypes.bfloat16).astype(np.float32)
    )
    np.testing.assert_array_equal(as_float32, expected)


def test_mapped_weights_are_copy_on_write(tmp_path):
    store = PreparedWeights(tmp_path, "set")
    _write_set(store, np.float32)
    kernel, _ = store.load().layer("hidden")
    kernel[0, 0] = 123.0  # a private copy of the page; the file keeps its value
    again, _ = store.load().layer("hidden")
    assert again[0, 0] != 123.0


def test_a_build_that_fails_leaves_no_set(tmp_path):
    store = PreparedWeights(tmp_path, "set")
    with pytest.raises(RuntimeError), store.writer() as writer:
        writer.allocator("hidden")((4, 4), np.dtype(np.float32))
        raise RuntimeError("the build failed")
    assert list(tmp_path.iterdir()) == []


def test_an_incomplete_set_is_ignored_and_a_broken_manifest_warned_about(tmp_path, caplog):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "hidden.0.npy").write_bytes(b"half a file")  # no manifest: not done
    store = PreparedWeights(tmp_path, "set")
    assert store.load() is None
    _write_set(store)  # replaces the incomplete folder
    assert store.load() is not None

    (tmp_path / "set" / MANIFEST).write_text("{ truncated")
    with caplog.at_level(logging.WARNING):
        assert store.load() is None
    assert "ignoring" in caplog.text


def test_only_the_most_recently_used_sets_are_kept_and_dead_builds_are_cleared(tmp_path):
    dead, writing = tmp_path / ".a.dead.tmp", tmp_path / ".b.writing.tmp"
    dead.mkdir()
    writing.mkdir()
    an_hour_ago = time.time() - prepared_weights.STALE_AFTER_S - 1
    os.utime(dead, (an_hour_ago, an_hour_ago))
    first, second, third = (PreparedWeights(tmp_path, key, keep=2) for key in "abc")
    _write_set(first)
    _write_set(second)
    first.load()  # used again: now more recent than b
    _write_set(third)
    assert sorted(p.name for p in tmp_path.iterdir()) == [writing.name, "a", "c"]


def test_a_set_that_cannot_be_written_warns_and_the_build_goes_on(tmp_path, caplog):
    blocker = tmp_path / "root"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING), PreparedWeights(blocker, "set").writer() as writer:
        array = writer.allocator("hidden")((3, 2), np.dtype(np.float32))
    assert "could not save" in caplog.text
    assert not isinstance(array, np.memmap) and array.ctypes.data % TENSOR_ALIGNMENT == 0
    assert [p.name for p in tmp_path.iterdir()] == ["root"]


def test_a_full_disk_is_an_error_before_any_write_and_nothing_is_saved(
    tmp_path, monkeypatch, caplog
):
    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(prepared_weights.os, "posix_fallocate", no_space, raising=False)
    store = PreparedWeights(tmp_path, "set")
    with caplog.at_level(logging.WARNING), store.writer() as writer:
        kernel = writer.allocator("hidden")((40, 24), np.dtype(np.uint16))
        kernel[...] = 7  # plain memory: usable, the build goes on
        bias = writer.allocator("hidden")((24,), np.dtype(np.uint16))
    assert "No space left" in caplog.text
    assert not isinstance(kernel, np.memmap) and not isinstance(bias, np.memmap)
    assert store.load() is None and list(tmp_path.iterdir()) == []
