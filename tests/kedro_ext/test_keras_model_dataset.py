"""KerasModelDataset: tensorflow.TensorFlowModelDataset's model file, which appears at its
path only once it is whole."""

import keras
import numpy as np
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.tensorflow import TensorFlowModelDataset

from insta_kedro.kedro_ext.keras_model_dataset import KerasModelDataset


def small_model() -> keras.Model:
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))


def test_saves_and_loads_the_model_kedro_datasets_does(tmp_path):
    model = small_model()
    ours = KerasModelDataset(filepath=str(tmp_path / "ours.keras"))
    theirs = TensorFlowModelDataset(filepath=str(tmp_path / "theirs.keras"))

    ours.save(model)
    theirs.save(model)

    for dataset in (ours, theirs):
        np.testing.assert_array_equal(
            dataset.load().get_layer("dense").get_weights()[0],
            model.get_layer("dense").get_weights()[0],
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.keras", "theirs.keras"]


def test_a_disk_full_while_copying_leaves_the_previous_model(tmp_path, monkeypatch, copy_cut_short):
    """Both save the model in a temporary folder and copy it to the path; a copy cut short
    is kedro-datasets' model file, while this one's stays the previous model."""
    model = small_model()
    ours = KerasModelDataset(filepath=str(tmp_path / "ours.keras"))
    theirs = TensorFlowModelDataset(filepath=str(tmp_path / "theirs.keras"))

    for dataset in (ours, theirs):
        dataset.save(model)
    previous = (tmp_path / "ours.keras").read_bytes()
    for dataset in (ours, theirs):
        monkeypatch.setattr(dataset._fs, "put", copy_cut_short)
        with pytest.raises(DatasetError, match="No space left"):
            dataset.save(model)

    assert (tmp_path / "ours.keras").read_bytes() == previous
    assert len((tmp_path / "theirs.keras").read_bytes()) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.keras", "theirs.keras"]
