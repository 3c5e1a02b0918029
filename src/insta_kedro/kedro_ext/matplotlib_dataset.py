"""``matplotlib.MatplotlibDataset`` whose image appears at its path only once it is whole.

The loss curves and the persona plots are PNG images that the web app shows while a run may
be writing them. kedro-datasets writes an image in place, so a reader could find it half
written, and a save that failed half way left an image cut short where the last run's
complete one was. This dataset writes a single figure's image beside its path and moves it
there once it is whole (``whole_files.WholeFileSave``); a list or dict of figures (a folder
of images) is saved as kedro-datasets saves it.
"""

from typing import Any

from kedro_datasets.matplotlib import MatplotlibDataset as KedroMatplotlibDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class MatplotlibDataset(WholeFileSave, KedroMatplotlibDataset):
    """``matplotlib.MatplotlibDataset`` whose image of a single figure appears at its path
    only once it is whole: the image written is exactly ``matplotlib.MatplotlibDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        cluster_interests_plot:
          type: insta_kedro.kedro_ext.matplotlib_dataset.MatplotlibDataset
          filepath: data/08_reporting/cluster_interests.png
          save_args:
            dpi: 120

    Example usage for the Python API:

    .. code-block:: pycon

        >>> import matplotlib.pyplot as plt
        >>> from insta_kedro.kedro_ext.matplotlib_dataset import MatplotlibDataset
        >>> figure, axes = plt.subplots()
        >>> _ = axes.plot([1, 2, 3])
        >>> dataset = MatplotlibDataset(filepath=tmp_path / "curve.png")
        >>> dataset.save(figure)
        >>> (tmp_path / "curve.png").read_bytes()[:4]
        b'\\x89PNG'
    """

    def save(self, data: Any) -> None:
        """Save one figure whole (:class:`WholeFileSave`), or a list or dict of figures (a
        folder of images) as ``matplotlib.MatplotlibDataset`` does."""
        if isinstance(data, list | dict):
            KedroMatplotlibDataset.save(self, data)
        else:
            super().save(data)
