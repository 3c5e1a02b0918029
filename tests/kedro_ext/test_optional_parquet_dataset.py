"""OptionalParquetDataset: absent file → empty frame; present file → ParquetDataset."""

import pandas as pd

from insta_kedro.kedro_ext.optional_parquet_dataset import OptionalParquetDataset


def test_absent_file_loads_an_empty_frame_with_the_columns(tmp_path):
    dataset = OptionalParquetDataset(
        filepath=str(tmp_path / "nope.parquet"), columns_when_missing=["post_id", "label"]
    )
    assert not dataset.exists()
    frame = dataset.load()
    assert frame.empty
    assert frame.columns.tolist() == ["post_id", "label"]


def test_saved_frame_round_trips(tmp_path):
    dataset = OptionalParquetDataset(
        filepath=str(tmp_path / "x.parquet"), columns_when_missing=["a"]
    )
    dataset.save(pd.DataFrame({"post_id": ["a", "b"], "value": [1.0, 2.0]}))
    assert dataset.exists()
    assert dataset.load()["value"].tolist() == [1.0, 2.0]
