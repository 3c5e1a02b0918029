"""JSONDataset: json.JSONDataset's file, which appears at its path only once it is whole."""

import json

import pytest
from kedro.io.core import DatasetError
from kedro_datasets.json import JSONDataset as KedroJSONDataset

from insta_kedro.kedro_ext.json_dataset import JSONDataset


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
