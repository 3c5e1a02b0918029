"""``pandas.CSVDataset`` whose file appears at its path only once it is whole.

The sample captions of the caption model are a CSV file that the web app's Caption model page
reads while a run may be writing it. kedro-datasets writes a CSV file in place, so a reader
could find it half written, and a save that failed half way left a file cut short where the
last run's complete one was. This dataset writes the same file beside its path and moves it
there once it is whole (``whole_files.WholeFileSave``).
"""

from kedro_datasets.pandas import CSVDataset as KedroCSVDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class CSVDataset(WholeFileSave, KedroCSVDataset):
    """``pandas.CSVDataset`` whose file appears at its path only once it is whole: loading
    and the file written are exactly ``pandas.CSVDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        caption_samples:
          type: insta_kedro.kedro_ext.csv_dataset.CSVDataset
          filepath: data/08_reporting/caption_samples.csv
          save_args:
            index: false

    Example usage for the Python API:

    .. code-block:: pycon

        >>> import pandas as pd
        >>> from insta_kedro.kedro_ext.csv_dataset import CSVDataset
        >>> dataset = CSVDataset(filepath=tmp_path / "samples.csv", save_args={"index": False})
        >>> dataset.save(pd.DataFrame({"caption": ["sunset at the pier"]}))
        >>> dataset.load()
                      caption
        0  sunset at the pier
    """
