"""ParquetDataset: the kedro-viz preview of a table whose cells hold arrays is JSON."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pydantic_core
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.pandas import ParquetDataset as PandasParquetDataset

from insta_kedro.kedro_ext.parquet_dataset import PREVIEW_VALUES, ParquetDataset, preview_cell


def test_preview_of_array_cells_serializes_as_kedro_viz_does(tmp_path):
    dataset = ParquetDataset(filepath=str(tmp_path / "posts.parquet"))
    dataset.save(
        pd.DataFrame(
            {
                "post_id": ["a", "b"],
                "hashtags": [["#sea", "#sun"], []],
                "taken_at": pd.to_datetime(["2020-08-13 17:21:57", None]),
                "feature": [np.arange(300, dtype="float32"), np.zeros(3, dtype="float32")],
            }
        )
    )
    preview = dataset.preview()
    # kedro-viz's response models serialize the preview with pydantic
    assert json.loads(pydantic_core.to_json(preview)) == preview
    assert preview["columns"] == ["post_id", "hashtags", "taken_at", "feature"]
    first, second = preview["data"]
    assert first[:2] == ["a", ["#sea", "#sun"]]
    assert first[2].startswith("2020-08-13T17:21:57")
    assert first[3] == [*map(float, range(PREVIEW_VALUES)), f"… {300 - PREVIEW_VALUES} more"]
    assert second[1:] == [[], None, [0.0, 0.0, 0.0]]


def test_preview_reads_the_first_rows_of_the_columns_to_load(tmp_path):
    path = tmp_path / "features.parquet"
    table = pa.table({"post_id": [f"p{i}" for i in range(100)], "likes": list(range(100))})
    pq.write_table(table, path, row_group_size=10)
    dataset = ParquetDataset(filepath=str(path), load_args={"columns": ["post_id"]})
    preview = dataset.preview(nrows=3)
    assert preview["columns"] == ["post_id"]
    assert preview["data"] == [["p0"], ["p1"], ["p2"]]


def test_nested_arrays_and_structs_are_cut_too():
    nested = np.array([np.arange(20.0), np.arange(2.0)], dtype=object)
    assert preview_cell(nested) == [
        [*map(float, range(PREVIEW_VALUES)), f"… {20 - PREVIEW_VALUES} more"],
        [0.0, 1.0],
    ]
    assert preview_cell({"scores": np.ones(2)}) == {"scores": [1.0, 1.0]}
    assert preview_cell("text") == "text"


def test_saves_the_file_kedro_datasets_writes(tmp_path):
    frame = pd.DataFrame({"post_id": ["a", "b"], "likes": [3, 4]})
    ParquetDataset(filepath=str(tmp_path / "ours.parquet")).save(frame)
    PandasParquetDataset(filepath=str(tmp_path / "theirs.parquet")).save(frame)

    ours, theirs = (pq.read_table(tmp_path / f"{n}.parquet") for n in ("ours", "theirs"))
    assert ours.equals(theirs) and ours.schema.metadata == theirs.schema.metadata
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.parquet", "theirs.parquet"]


class _ReadsTheFileWhileWritten(pd.DataFrame):
    """A frame that, as it is written, reads what the dataset's path holds meanwhile."""

    seen: list = []

    def to_parquet(self, path, **kwargs):
        type(self).seen.append(pd.read_parquet(self.attrs["path"]))
        return super().to_parquet(path, **kwargs)


def test_a_reader_finds_the_previous_table_until_the_new_one_is_whole(tmp_path):
    path = tmp_path / "user_clusters.parquet"
    dataset = ParquetDataset(filepath=str(path))
    dataset.save(pd.DataFrame({"profile": ["anna"], "cluster": [0]}))
    new = _ReadsTheFileWhileWritten({"profile": ["anna", "ben"], "cluster": [1, 1]})
    new.attrs["path"] = str(path)

    dataset.save(new)

    assert _ReadsTheFileWhileWritten.seen[0]["cluster"].tolist() == [0]
    assert dataset.load()["cluster"].tolist() == [1, 1]


def test_a_table_parquet_cannot_hold_leaves_the_previous_file(tmp_path):
    """A column of mixed values fails in pyarrow once the file is open: kedro-datasets'
    file is then gone; this one is the previous table."""
    ours = ParquetDataset(filepath=str(tmp_path / "ours.parquet"))
    theirs = PandasParquetDataset(filepath=str(tmp_path / "theirs.parquet"))
    unwritable = pd.DataFrame({"post_id": ["a", "b"], "likes": [3, "many"]})
    for dataset in (ours, theirs):
        dataset.save(pd.DataFrame({"post_id": ["a"], "likes": [3]}))
        with pytest.raises(DatasetError):
            dataset.save(unwritable)

    assert ours.load()["likes"].tolist() == [3]
    with pytest.raises(DatasetError):
        theirs.load()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.parquet", "theirs.parquet"]
