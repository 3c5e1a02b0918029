"""LazyParquetDataset: saved in bounded row groups, loaded as a pyarrow dataset that has read
nothing; an absent file is an empty table; a folder of parts is one table."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from kedro.io import DatasetError

from insta_kedro.engine import read_columns, row_count
from insta_kedro.kedro_ext.lazy_parquet_dataset import ROW_GROUP_SIZE, LazyParquetDataset


def features(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "post_id": [f"p{i}" for i in range(start, start + n)],
            "feature": [np.full(3, i, np.float32) for i in range(start, start + n)],
            "error": None,
        }
    )


def test_a_saved_frame_is_written_in_row_groups_and_loads_lazily(tmp_path):
    path = tmp_path / "image_features.parquet"
    dataset = LazyParquetDataset(filepath=str(path), save_args={"row_group_size": 4})
    dataset.save(features(10))
    assert pq.ParquetFile(path).metadata.num_row_groups == 3  # 4 + 4 + 2 rows
    table = dataset.load()
    assert isinstance(table, ds.Dataset)
    assert row_count(table) == 10
    frame = read_columns(table, ["post_id", "feature"])
    assert frame["post_id"].tolist() == [f"p{i}" for i in range(10)]
    np.testing.assert_array_equal(frame["feature"].iloc[7], np.full(3, 7.0))
    # the file is plain Parquet: pandas reads it as before
    assert pd.read_parquet(path)["post_id"].tolist() == frame["post_id"].tolist()


def test_a_reader_is_written_batch_by_batch_as_it_is_read(tmp_path):
    path = tmp_path / "image_features.parquet"
    dataset = LazyParquetDataset(filepath=str(path), save_args={"row_group_size": 4})
    schema = pa.Schema.from_pandas(features(1), preserve_index=False)
    read = []

    def batches():
        for start in (0, 6):
            read.append(start)
            yield pa.RecordBatch.from_pandas(features(6, start), schema, preserve_index=False)

    reader = pa.RecordBatchReader.from_batches(schema, batches())
    assert read == []  # nothing read before the save
    dataset.save(reader)
    assert read == [0, 6]
    assert [pq.ParquetFile(path).metadata.row_group(g).num_rows for g in range(4)] == [4, 2, 4, 2]
    frame = read_columns(dataset.load(), ["post_id", "feature"])
    assert frame["post_id"].tolist() == [f"p{i}" for i in range(12)]
    np.testing.assert_array_equal(frame["feature"].iloc[11], np.full(3, 11.0))


def test_a_reader_that_fails_half_way_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "image_features.parquet"
    dataset = LazyParquetDataset(filepath=str(path), save_args={"row_group_size": 4})
    dataset.save(features(3))  # an earlier run's table
    schema = pa.Schema.from_pandas(features(1), preserve_index=False)

    def batches():
        yield pa.RecordBatch.from_pandas(features(6), schema, preserve_index=False)
        raise OSError("the feature cache became unreadable")

    with pytest.raises(DatasetError, match="unreadable"):
        dataset.save(pa.RecordBatchReader.from_batches(schema, batches()))
    assert read_columns(dataset.load(), ["post_id"])["post_id"].tolist() == ["p0", "p1", "p2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no partial file left


def test_an_empty_reader_writes_the_columns(tmp_path):
    dataset = LazyParquetDataset(filepath=str(tmp_path / "f.parquet"))
    schema = pa.schema([("post_id", pa.string()), ("feature", pa.list_(pa.float32()))])
    dataset.save(pa.RecordBatchReader.from_batches(schema, iter([])))
    table = dataset.load()
    assert row_count(table) == 0 and table.schema == schema


def test_the_row_groups_are_bounded_unless_said_otherwise(tmp_path):
    dataset = LazyParquetDataset(filepath=str(tmp_path / "f.parquet"))
    assert dataset._describe()["save_args"]["row_group_size"] == ROW_GROUP_SIZE


def test_an_absent_file_loads_an_empty_table_with_the_columns(tmp_path):
    dataset = LazyParquetDataset(
        filepath=str(tmp_path / "nope.parquet"), columns_when_missing=["post_id", "feature"]
    )
    assert not dataset.exists()
    table = dataset.load()
    assert row_count(table) == 0
    assert read_columns(table).columns.tolist() == ["post_id", "feature"]


def test_a_folder_of_parts_is_read_as_one_table(tmp_path):
    folder = tmp_path / "image_features.parquet"
    folder.mkdir()
    features(3).to_parquet(folder / "part-0.parquet")
    features(2, start=3).to_parquet(folder / "part-1.parquet")
    table = LazyParquetDataset(filepath=str(folder)).load()
    assert sorted(read_columns(table, ["post_id"])["post_id"]) == [f"p{i}" for i in range(5)]


def test_a_file_cut_short_cannot_be_loaded(tmp_path):
    path = tmp_path / "f.parquet"
    dataset = LazyParquetDataset(filepath=str(path))
    dataset.save(features(5))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(Exception, match="(?i)parquet"):
        dataset.load()
