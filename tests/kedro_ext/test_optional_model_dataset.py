"""The caption model's dataset: a Keras model, or "no model" as no file."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from kedro.io.core import DatasetError

from insta_kedro.captioning.training_gate import NotTrained
from insta_kedro.kedro_ext.optional_model_dataset import OptionalKerasModelDataset


def test_not_trained_removes_an_earlier_model_and_loads_back(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"an earlier run's model")
    dataset = OptionalKerasModelDataset(filepath=str(path))
    assert dataset.exists()

    dataset.save(NotTrained("no captioned photo"))

    assert not path.exists()
    assert not dataset.exists()
    assert dataset.load() == NotTrained("no captioned photo")
    fresh = OptionalKerasModelDataset(filepath=str(path)).load()
    assert isinstance(fresh, NotTrained)
    assert "has not trained one" in fresh.reason


def test_a_trained_model_is_saved_and_loaded_by_keras(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    dataset = OptionalKerasModelDataset(
        filepath=str(tmp_path / "model.keras"), load_args={"compile": False}
    )
    dataset.save(model)

    loaded = dataset.load()
    assert dataset.exists()
    np.testing.assert_array_equal(
        loaded.get_layer("dense").get_weights()[0], model.get_layer("dense").get_weights()[0]
    )


def test_building_the_dataset_imports_no_tensorflow(tmp_path):
    script = (
        "import sys\n"
        "from insta_kedro.kedro_ext.optional_model_dataset import OptionalKerasModelDataset\n"
        f"d = OptionalKerasModelDataset(filepath={str(tmp_path / 'm.keras')!r})\n"
        "d.exists(); d.load()\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_trained_model_appears_whole(tmp_path, monkeypatch, copy_cut_short):
    """A copy of the model cut short (``keras_model_dataset``) leaves the previous model for
    the app to load."""
    path = tmp_path / "model.keras"
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    dataset = OptionalKerasModelDataset(filepath=str(path), load_args={"compile": False})
    dataset.save(model)
    previous = path.read_bytes()
    models = dataset._models()

    monkeypatch.setattr(models._fs, "put", copy_cut_short)
    with pytest.raises(DatasetError, match="No space left"):
        dataset.save(model)

    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]
