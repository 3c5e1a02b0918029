"""A Parquet dataset for optional inputs: an absent file loads as an empty frame.

Pipelines downstream of optional steps (``text_features`` and ``fusion`` use image features,
ImageNet labels and generated captions when they exist) must run when those steps have not
run yet. Kedro fails a node whose input file is missing; this dataset instead logs a notice
and loads an empty frame with the declared columns, so the node can drop that block and say
so. Saving, and loading an existing file, are exactly ``pandas.ParquetDataset``'s; the kedro-viz
preview is ``kedro_ext.parquet_dataset.ParquetDataset``'s.
"""

import logging
from typing import Any

import pandas as pd

from insta_kedro.kedro_ext.parquet_dataset import ParquetDataset

logger = logging.getLogger(__name__)


class OptionalParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that loads an empty frame when the file does not exist.

    Example usage for the YAML API:

    .. code-block:: yaml

        generated_captions:
          type: insta_kedro.kedro_ext.optional_parquet_dataset.OptionalParquetDataset
          filepath: data/07_model_output/generated_captions.parquet
          columns_when_missing: [post_id, generated_caption, mean_log_prob, decoder]

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.kedro_ext.optional_parquet_dataset import OptionalParquetDataset
        >>> dataset = OptionalParquetDataset(
        ...     filepath=tmp_path / "labels.parquet", columns_when_missing=["post_id", "label"]
        ... )
        >>> dataset.load().columns.tolist()
        ['post_id', 'label']
    """

    #: Tells run-time checks (``insta_kedro.kedro_ext.missing_inputs``) that an absent file is fine.
    optional = True

    def __init__(self, *, columns_when_missing: list[str] | None = None, **kwargs: Any) -> None:
        """``columns_when_missing``: columns of the empty frame; other arguments are
        ``pandas.ParquetDataset``'s."""
        super().__init__(**kwargs)
        self._columns_when_missing = list(columns_when_missing or [])

    def load(self) -> pd.DataFrame:
        if not self._exists():
            logger.info(
                "%s does not exist (its pipeline has not run): loading an empty frame.",
                self._filepath,
            )
            return pd.DataFrame(columns=self._columns_when_missing)
        return super().load()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "columns_when_missing": self._columns_when_missing}
