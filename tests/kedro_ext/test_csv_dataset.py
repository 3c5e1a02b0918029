"""CSVDataset: pandas.CSVDataset's file, which appears at its path only once it is whole."""

import pandas as pd
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.pandas import CSVDataset as KedroCSVDataset

from insta_kedro.kedro_ext.csv_dataset import CSVDataset


class Unwritable:
    """A value whose text cannot be made: pandas finds it only when it reaches its row."""

    def __str__(self) -> str:
        raise ValueError("no text for this value")


def test_saves_and_loads_the_file_kedro_datasets_writes(tmp_path):
    ours = CSVDataset(filepath=str(tmp_path / "ours.csv"), save_args={"index": False})
    theirs = KedroCSVDataset(filepath=str(tmp_path / "theirs.csv"), save_args={"index": False})
    samples = pd.DataFrame({"post_id": ["a", "b"], "caption": ["sunset, pier", "🐶 walk"]})

    ours.save(samples)
    theirs.save(samples)

    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "theirs.csv").read_bytes()
    pd.testing.assert_frame_equal(ours.load(), samples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.csv", "theirs.csv"]


def test_a_table_that_fails_half_way_leaves_the_previous_file(tmp_path):
    """pandas writes a CSV in chunks of rows: a value it cannot write in a later chunk stops
    it after the first chunks are written; kedro-datasets' file is then cut short."""
    ours = CSVDataset(filepath=str(tmp_path / "ours.csv"))
    theirs = KedroCSVDataset(filepath=str(tmp_path / "theirs.csv"))
    previous = pd.DataFrame({"caption": ["the previous run"]})
    failing = pd.DataFrame({"caption": ["a caption"] * 150_000 + [Unwritable()]})
    for dataset in (ours, theirs):
        dataset.save(previous)
        with pytest.raises(DatasetError, match="no text for this value"):
            dataset.save(failing)

    pd.testing.assert_frame_equal(ours.load(), previous)
    assert len(theirs.load()) > 1  # the half-written table
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.csv", "theirs.csv"]
