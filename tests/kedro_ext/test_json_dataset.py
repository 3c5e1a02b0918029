"""JSONDataset: json.JSONDataset's file, which appears at its path only once it is whole."""

import json
from pathlib import Path

import pytest
import yaml
from kedro.io.core import DatasetError
from kedro_datasets.json import JSONDataset as KedroJSONDataset

from insta_kedro.kedro_ext.json_dataset import JSONDataset

CONF = Path(__file__).parents[2] / "conf" / "base"


def test_saves_and_loads_the_file_kedro_datasets_writes(tmp_path):
    ours = JSONDataset(filepath=str(tmp_path / "ours.json"), save_args={"indent": 2})
    theirs = KedroJSONDataset(filepath=str(tmp_path / "theirs.json"), save_args={"indent": 2})
    report = {"posts": 3, "languages": {"en": 2, "und": 1}, "name": "café 📸"}

    ours.save(report)
    theirs.save(report)

    assert (tmp_path / "ours.json").read_bytes() == (tmp_path / "theirs.json").read_bytes()
    assert ours.load() == report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.json", "theirs.json"]


def test_a_value_json_cannot_write_leaves_the_previous_report(tmp_path):
    """``json`` finds a value it cannot write only when it reaches it, after writing what came
    before: kedro-datasets' file is then cut short; this one is the previous report."""
    ours = JSONDataset(filepath=str(tmp_path / "ours.json"))
    theirs = KedroJSONDataset(filepath=str(tmp_path / "theirs.json"))
    for dataset in (ours, theirs):
        dataset.save({"run": 1})
        with pytest.raises(DatasetError, match="not JSON serializable"):
            dataset.save({"run": 2, "tags": {"a", "b"}})

    assert ours.load() == {"run": 1}
    cut_short = (tmp_path / "theirs.json").read_text()
    assert '"run": 2' in cut_short
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut_short)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.json", "theirs.json"]


@pytest.mark.parametrize(
    ("suffix", "whole", "count"),
    [
        (".json", "insta_kedro.kedro_ext.json_dataset.JSONDataset", 11),
        (".pickle", "insta_kedro.kedro_ext.pickle_dataset.PickleDataset", 5),
        (".parquet", "insta_kedro.kedro_ext.", 11),
    ],
)
def test_every_json_pickle_and_parquet_output_of_the_catalog_is_written_whole(suffix, whole, count):
    types = []
    for catalog in sorted(CONF.glob("catalog*.yml")):
        for entry in yaml.safe_load(catalog.read_text()).values():
            inner = entry.get("dataset", entry)
            if str(inner.get("filepath", "")).endswith(suffix):
                types.append(inner["type"])
    assert len(types) == count
    assert all(kind.startswith(whole) for kind in types), types
