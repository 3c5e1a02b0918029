"""ParquetDataset: the kedro-viz preview of a table whose cells hold arrays is JSON."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pydantic_core

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
