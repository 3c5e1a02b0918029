"""Post tables read part by part, so that a stage holds one part, not the whole table.

A table is a ``pandas.DataFrame`` in memory, or a ``pyarrow.dataset.Dataset`` over Parquet (one
file or a folder of them) that has read nothing yet: what
``insta_kedro.kedro_ext.LazyParquetDataset`` loads. The functions below read either the same
way: some columns whole (:func:`read_columns`), or every column asked for in batches of rows,
in the table's order (:func:`row_batches`). A Parquet file is read one row group at a time, so
a file written in row groups of a bounded size (the dataset's ``row_group_size``) is never
held whole.

Example:
    >>> import pyarrow.dataset as ds
    >>> table = ds.dataset("data/04_feature/image_features.parquet")  # nothing read yet
    >>> read_columns(table, ["post_id", "encoder"])  # two columns, every row
    >>> for start, batch in row_batches(table, ["post_id", "feature"], 16384):
    ...     ...  # rows start .. start + batch.num_rows, as a pyarrow.RecordBatch
"""

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

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
    # A scanner yields a dataset's batches in its order (files, then row groups, then rows).
    for batch in table.to_batches(columns=wanted, batch_size=batch_size):
        if batch.num_rows:
            yield start, batch
            start += batch.num_rows


def list_lengths(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The length of each list of a list column (0 for a missing list)."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)


def list_rows(column: pa.Array, rows: np.ndarray, width: int) -> np.ndarray:
    """The lists at ``rows`` of a list column, each of ``width`` numbers, as one float32
    matrix (``len(rows)`` × ``width``)."""
    taken = column.take(pa.array(rows, type=pa.int64()))
    values = taken.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float32).reshape(len(rows), width)
