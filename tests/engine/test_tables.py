"""Tables read part by part: a frame and a lazy Parquet table give the same columns and the
same rows, batch by batch, in the table's order."""

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from insta_kedro.engine import (
    column_names,
    list_lengths,
    list_rows,
    read_columns,
    row_batches,
    row_count,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "post_id": [f"p{i}" for i in range(23)],
            "feature": [
                None if i == 5 else np.arange(i, i + 4, dtype=np.float32) for i in range(23)
            ],
        }
    )


@pytest.fixture(params=["frame", "parquet"])
def table(request, frame, tmp_path):
    if request.param == "frame":
        return frame
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=6)
    return ds.dataset(tmp_path / "t.parquet", format="parquet")


def test_columns_and_rows(table):
    assert column_names(table) == ["post_id", "feature"]
    assert row_count(table) == 23
    assert read_columns(table, ["post_id", "absent"]).columns.tolist() == ["post_id"]


def test_batches_come_in_the_tables_order(table):
    seen = []
    for start, batch in row_batches(table, ["post_id", "feature"], 5):
        assert batch.num_rows <= 5
        ids = batch.column("post_id").to_pylist()
        assert ids[0] == f"p{start}"
        seen += ids
    assert seen == [f"p{i}" for i in range(23)]


def test_lists_are_measured_and_taken_as_a_matrix(table):
    batches = list(row_batches(table, ["feature"], 10))
    lengths = np.concatenate([list_lengths(batch.column("feature")) for _, batch in batches])
    assert lengths.tolist() == [0 if i == 5 else 4 for i in range(23)]
    start, batch = batches[-1]
    rows = np.array([batch.num_rows - 1, 0])
    matrix = list_rows(batch.column("feature"), rows, 4)
    assert matrix.dtype == np.float32
    first = start + rows
    np.testing.assert_array_equal(matrix, [np.arange(i, i + 4) for i in first])


def test_a_column_without_any_list_has_lengths_zero(tmp_path):
    # every photo failed: Parquet stores the all-missing feature column with the null type
    pd.DataFrame({"post_id": ["a", "b"], "feature": [None, None]}).to_parquet(tmp_path / "t.pq")
    [(_, batch)] = row_batches(ds.dataset(tmp_path / "t.pq"), ["feature"], 10)
    assert list_lengths(batch.column("feature")).tolist() == [0, 0]
