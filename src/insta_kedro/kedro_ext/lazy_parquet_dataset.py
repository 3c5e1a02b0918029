"""A Parquet dataset loaded lazily: a ``pyarrow.dataset.Dataset`` that has read nothing yet.

A post table with a vector per post outgrows memory at scale: the image features of a million
posts are 2 GB with ``layer: pool`` and 16 GB with ``fc2``. Loading this dataset reads only
the file's footer; the stage reads the columns it needs, or the rows in batches
(``insta_kedro.engine.tables``), so it holds one row group at a time. It is saved like
``pandas.ParquetDataset`` saves, in row groups of ``save_args.row_group_size`` rows (16,384 by
default), which bounds what a batch reader holds. Besides a frame, it saves a
``pyarrow.RecordBatchReader`` batch by batch, so a table the node never holds whole (the
image features, read from the feature cache as they are written) is never whole in memory
here either; such a file appears at its path only once it is whole. The path may also be a
folder of Parquet files with one schema (as Dask or Spark write them): they are read as one
table, file by file. An absent file loads as an empty table with ``columns_when_missing``,
like ``OptionalParquetDataset``.
"""

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from kedro.io.core import get_filepath_str

from insta_kedro.kedro_ext.optional_parquet_dataset import OptionalParquetDataset
from insta_kedro.kedro_ext.whole_files import written_whole

ROW_GROUP_SIZE = 16_384
"""Rows per row group unless ``save_args.row_group_size`` says otherwise."""


class LazyParquetDataset(OptionalParquetDataset):
    """Saves a ``pandas.DataFrame``, or a ``pyarrow.RecordBatchReader`` batch by batch, as
    Parquet in bounded row groups; loads a ``pyarrow.dataset.Dataset`` over it without reading
    its rows.

    Example usage for the YAML API:

    .. code-block:: yaml

        image_features:
          type: insta_kedro.kedro_ext.lazy_parquet_dataset.LazyParquetDataset
          filepath: data/04_feature/image_features.parquet
          columns_when_missing: [post_id, image_sha256, feature, encoder, error]
          save_args:
            row_group_size: 16384

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.kedro_ext.lazy_parquet_dataset import LazyParquetDataset
        >>> dataset = LazyParquetDataset(filepath=tmp_path / "features.parquet")
        >>> dataset.save(pd.DataFrame({"post_id": ["a", "b"], "feature": [[1.0], [2.0]]}))
        >>> table = dataset.load()  # a pyarrow.dataset.Dataset: nothing read yet
        >>> table.to_table(columns=["post_id"]).to_pandas()["post_id"].tolist()
        ['a', 'b']
        >>> batches = pa.RecordBatchReader.from_batches(
        ...     pa.schema([("post_id", pa.string())]),
        ...     (pa.record_batch([pa.array([f"p{i}"])], names=["post_id"]) for i in range(3)),
        ... )
        >>> dataset.save(batches)  # written as it is read
        >>> dataset.load().count_rows()
        3
    """

    def __init__(self, **kwargs: Any) -> None:
        """Arguments of ``OptionalParquetDataset`` (``columns_when_missing``, ``filepath``,
        ``save_args``, ...)."""
        super().__init__(**kwargs)
        self._save_args.setdefault("row_group_size", ROW_GROUP_SIZE)

    def load(self) -> ds.Dataset:
        if not self._exists():  # the empty frame of OptionalParquetDataset, as a table
            return ds.dataset(pa.Table.from_pandas(super().load(), preserve_index=False))
        # The path without its protocol, on the dataset's own fsspec filesystem.
        return ds.dataset(str(self._get_load_path()), format="parquet", filesystem=self._fs)

    def save(self, data: pd.DataFrame | pa.RecordBatchReader) -> None:
        if isinstance(data, pd.DataFrame):
            super().save(data)
            return
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        row_group_size = self._save_args["row_group_size"]
        # The batches are read while they are written, so reading may fail half way.
        with (
            written_whole(self._fs, save_path) as partial,
            self._fs.open(partial, **self._fs_open_args_save) as file,
            pq.ParquetWriter(file, data.schema) as writer,
        ):
            for batch in data:
                writer.write_batch(batch, row_group_size=row_group_size)
        self._invalidate_cache()
