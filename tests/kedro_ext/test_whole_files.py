"""written_whole: a file appears at its path whole, or the previous one stays; WholeFileSave
leaves a versioned dataset's saves as they are; the catalog's files are saved so (the Keras
model's through ``keras_model_dataset``)."""

from pathlib import Path

import fsspec
import pandas as pd
import pytest
import yaml
from kedro.io import Version

from insta_kedro.kedro_ext.json_dataset import JSONDataset
from insta_kedro.kedro_ext.parquet_dataset import ParquetDataset
from insta_kedro.kedro_ext.pickle_dataset import PickleDataset
from insta_kedro.kedro_ext.whole_files import written_whole

CONF = Path(__file__).parents[2] / "conf" / "base"


def test_the_file_appears_only_once_the_block_ends(tmp_path):
    fs = fsspec.filesystem("file")
    path = tmp_path / "report.json"
    path.write_text("previous")

    with written_whole(fs, str(path)) as partial:
        with open(partial, "w") as file:
            file.write("new")
        assert path.read_text() == "previous"  # a reader meanwhile
        assert partial.startswith(f"{path}.partial-")

    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path):
    fs = fsspec.filesystem("file")
    path = tmp_path / "report.json"
    path.write_text("previous")

    with pytest.raises(RuntimeError, match="disk full"), written_whole(fs, str(path)) as partial:
        with open(partial, "w") as file:
            file.write("half")
        raise RuntimeError("disk full")

    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("dataset_type", [ParquetDataset, JSONDataset, PickleDataset])
def test_a_versioned_dataset_saves_each_version_as_kedro_does(tmp_path, dataset_type):
    data = pd.DataFrame({"a": [1]}) if dataset_type is ParquetDataset else {"a": [1]}
    dataset = dataset_type(filepath=str(tmp_path / "output"), version=Version(None, None))

    dataset.save(data)

    loaded = dataset.load()
    assert loaded.equals(data) if dataset_type is ParquetDataset else loaded == data
    (version,) = (tmp_path / "output").iterdir()
    assert [p.name for p in version.iterdir()] == ["output"]


@pytest.mark.parametrize(
    ("suffix", "whole", "count"),
    [
        (".json", "insta_kedro.kedro_ext.json_dataset.JSONDataset", 11),
        (".pickle", "insta_kedro.kedro_ext.pickle_dataset.PickleDataset", 5),
        (".parquet", "insta_kedro.kedro_ext.", 11),
        (".csv", "insta_kedro.kedro_ext.csv_dataset.CSVDataset", 1),
        (".png", "insta_kedro.kedro_ext.matplotlib_dataset.MatplotlibDataset", 3),
        (".html", "insta_kedro.kedro_ext.html_dataset.HTMLDataset", 1),
        (".keras", "insta_kedro.kedro_ext.optional_model_dataset.OptionalKerasModelDataset", 1),
    ],
)
def test_every_file_output_of_the_catalog_is_written_whole(suffix, whole, count):
    types = []
    for catalog in sorted(CONF.glob("catalog*.yml")):
        for entry in yaml.safe_load(catalog.read_text()).values():
            inner = entry.get("dataset", entry)
            if str(inner.get("filepath", "")).endswith(suffix):
                types.append(inner["type"])
    assert len(types) == count
    assert all(kind.startswith(whole) for kind in types), types
