"""``pandas.ParquetDataset`` with a preview kedro-viz can show when cells hold arrays.

Clicking a dataset in ``kedro viz run`` shows its first rows, from the dataset's ``preview``.
kedro-datasets' Parquet preview reads the whole file and hands back the cells as pandas reads
them: a list column (``posts.hashtags``, each ``feature`` vector, ``post_clusters.membership``)
gives NumPy arrays, which kedro-viz cannot serialize, and the dataset's panel fails (HTTP 500,
"Unable to serialize unknown type: numpy.ndarray"); so does a missing time (``NaT``). This
preview reads only the rows it shows, cuts a long array to its first values and a count of the
rest, and hands back what pandas' ``to_json`` makes of the rows (lists, ISO times, ``null``).
Loading is exactly ``pandas.ParquetDataset``'s; a save writes the same file, which appears at
its path only once it is whole (``whole_files.WholeFileSave``): the web app reading it while
a run writes it, and a save that fails or is killed half way, find the previous file.
"""

import json
from typing import Any

import numpy as np
import pyarrow.dataset as ds
from kedro_datasets._typing import TablePreview
from kedro_datasets.pandas import ParquetDataset as PandasParquetDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave

PREVIEW_VALUES = 8
"""Values shown of an array cell in a preview; the rest are counted."""


def preview_cell(value: Any) -> Any:
    """``value`` with its arrays cut for a preview: an array (nested or not) becomes a list of
    its first :data:`PREVIEW_VALUES` values, then ``"… N more"`` when it has more; a dict gets
    the same for its values; anything else is returned as it is."""
    if isinstance(value, np.ndarray):
        shown = [preview_cell(item) for item in value[:PREVIEW_VALUES].tolist()]
        hidden = len(value) - len(shown)
        return [*shown, f"… {hidden} more"] if hidden > 0 else shown
    if isinstance(value, dict):
        return {key: preview_cell(item) for key, item in value.items()}
    return value


class ParquetDataset(WholeFileSave, PandasParquetDataset):
    """``pandas.ParquetDataset`` whose kedro-viz preview holds JSON values only, and whose
    file appears at its path only once it is whole.

    Example usage for the YAML API:

    .. code-block:: yaml

        posts:
          type: insta_kedro.kedro_ext.parquet_dataset.ParquetDataset
          filepath: data/02_intermediate/posts.parquet

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.kedro_ext.parquet_dataset import ParquetDataset
        >>> dataset = ParquetDataset(filepath=tmp_path / "posts.parquet")
        >>> dataset.save(pd.DataFrame({"post_id": ["a"], "hashtags": [["#sea", "#sun"]]}))
        >>> dataset.preview()["data"]
        [['a', ['#sea', '#sun']]]
    """

    def preview(self, nrows: int = 5) -> TablePreview:
        """The first ``nrows`` rows (of ``load_args.columns``, when set) in pandas' ``split``
        layout (``index``, ``columns``, ``data``) of JSON values, read without the rows after
        them; array cells as :func:`preview_cell` cuts them."""
        table = ds.dataset(str(self._get_load_path()), format="parquet", filesystem=self._fs)
        frame = table.head(nrows, columns=self._load_args.get("columns")).to_pandas()
        for column in frame.select_dtypes(include="object"):
            frame[column] = frame[column].map(preview_cell)
        return TablePreview(json.loads(frame.to_json(orient="split", date_format="iso")))
