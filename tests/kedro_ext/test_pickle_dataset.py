"""PickleDataset: pickle.PickleDataset's file, which appears at its path only once it is
whole."""

import pickle

import pytest
from kedro.io.core import DatasetError
from kedro_datasets.pickle import PickleDataset as KedroPickleDataset

from insta_kedro.kedro_ext.pickle_dataset import PickleDataset


def test_saves_and_loads_the_file_kedro_datasets_writes(tmp_path):
    ours = PickleDataset(filepath=str(tmp_path / "ours.pickle"))
    theirs = KedroPickleDataset(filepath=str(tmp_path / "theirs.pickle"))
    model = {"weights": [0.5, 0.25], "classes": ("art", "music")}

    ours.save(model)
    theirs.save(model)

    assert (tmp_path / "ours.pickle").read_bytes() == (tmp_path / "theirs.pickle").read_bytes()
    assert ours.load() == model
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.pickle", "theirs.pickle"]


def test_a_model_that_cannot_be_pickled_leaves_the_previous_one(tmp_path):
    """pickle finds an object it cannot write (a lambda) only when it reaches it, after
    writing what came before: kedro-datasets' file is then cut short; this one is the previous
    model."""
    ours = PickleDataset(filepath=str(tmp_path / "ours.pickle"))
    theirs = KedroPickleDataset(filepath=str(tmp_path / "theirs.pickle"))
    for dataset in (ours, theirs):
        dataset.save({"run": 1})
        with pytest.raises(DatasetError, match="was not serialised"):
            dataset.save({"run": 2, "scorer": lambda x: x})

    assert ours.load() == {"run": 1}
    with pytest.raises((pickle.UnpicklingError, EOFError)):
        pickle.loads((tmp_path / "theirs.pickle").read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.pickle", "theirs.pickle"]
