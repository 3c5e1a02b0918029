"""Post tables read part by part, so that a stage holds one part, not the whole table.

A table is a ``pandas.DataFrame`` in memory, or a ``pyarrow.dataset.Dataset`` over Parquet (one
file or a folder of them) that has read nothing yet: what
``insta_kedro.kedro_ext.LazyParquetDataset`` loads. The functions below read either the same
way: some columns whole (:func:`read_columns`), or the columns asked for in batches of rows,
in the table's order (:func:`row_batches`). A Parquet file is read one row group at a time, so
one written in row groups of a bounded size (the dataset's ``row_group_size``) is never held
whole: what is held is one row group of the columns asked for.

Example:
    >>> import pyarrow.dataset as ds
import pyarrow.parquet as pq
    >>> table = ds.dataset("data/04_feature/image_features.parquet")  # nothing read yet
    >>> read_columns(table, ["post_id", "encoder"])  # two columns, every row
    >>> for start, batch in row_batches(table, ["post_id", "feature"], 16384):
    ...     ...  # rows start .. start + batch.num_rows, as a pyarrow.RecordBatch
"""

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

Table = pd.DataFrame | ds.Dataset


def column_names(table: Table) -> list[str]:
    """The columns of ``table``."""
    if isinstance(table, pd.DataFrame):
        return [str(column) for column in table.columns]
    return list(table.schema.names)


def row_count(table: Table) -> int:
    """The rows of ``table`` (a Parquet file's footers tell it without reading the rows)."""
    return len(table) if isinstance(table, pd.DataFrame) else table.count_rows()


def read_columns(table: Table, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``columns`` of ``table`` that it has (None: all of them) as a frame, in its order."""
    present = column_names(table)
    wanted = present if columns is None else [c for c in columns if c in present]
    if isinstance(table, pd.DataFrame):
        return table[wanted]
    return table.to_table(columns=wanted).to_pandas()


def row_batches(
    table: Table, columns: Sequence[str], batch_size: int
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(start, batch)`` for consecutive batches of at most ``batch_size`` rows of ``table``
    (the ``columns`` it has), in its order; ``start`` is the first row's number."""
    present = column_names(table)
    wanted = [c for c in columns if c in present]
    start = 0
    if isinstance(table, pd.DataFrame):
        for begin in range(0, len(table), batch_size):
            part = table.iloc[begin : begin + batch_size][wanted]
            yield begin, pa.RecordBatch.from_pandas(part, preserve_index=False)
        return
    for batch in _batches(table, wanted):
        for begin in range(0, batch.num_rows, batch_size):
            part = batch.slice(begin, batch_size)
            yield start, part
            start += part.num_rows


def _batches(table: ds.Dataset, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The record batches of ``table``, in its order. Parquet files are read one row group at
    a time, file after file, and the memory pyarrow freed after each is given back: a
    dataset scanner would read ahead many row groups at once."""
    if not isinstance(table, ds.FileSystemDataset) or not isinstance(
        table.format, ds.ParquetFileFormat
    ):
        yield from table.to_table(columns=columns).to_batches()
        return
    pool = pa.default_memory_pool()
    for path in table.files:
        with table.filesystem.open_input_file(path) as source:
            parquet = pq.ParquetFile(source)
            for group in range(parquet.num_row_groups):
                rows = parquet.read_row_group(group, columns=columns)
                yield from rows.to_batches()
                del rows
                pool.release_unused()


def list_lengths(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The length of each list of a list column (0 for a missing list; all 0 for a column of
    nothing but missing values, which Parquet stores with the null type)."""
    if pa.types.is_null(column.type):
        return np.zeros(len(column), np.int64)
    return pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)


def list_rows(column: pa.Array, rows: np.ndarray, width: int) -> np.ndarray:
    """The lists at ``rows`` of a list column, each of ``width`` numbers, as one float32
    matrix (``len(rows)`` × ``width``)."""
    taken = column.take(pa.array(rows, type=pa.int64()))
    values = taken.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float32).reshape(len(rows), width)
