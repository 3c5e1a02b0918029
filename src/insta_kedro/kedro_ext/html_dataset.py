"""``plotly.HTMLDataset`` whose file appears at its path only once it is whole.

The cluster maps are HTML pages a user opens from ``data/08_reporting`` or the MLflow run,
possibly while a run is writing them. kedro-datasets writes the page in place, so a reader
could find it half written, and a save that failed half way left a page cut short where the
last run's complete one was. This dataset writes the same file beside its path and moves it
there once it is whole (``whole_files.WholeFileSave``).
"""

from kedro_datasets.plotly import HTMLDataset as KedroHTMLDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class HTMLDataset(WholeFileSave, KedroHTMLDataset):
    """``plotly.HTMLDataset`` whose file appears at its path only once it is whole: the page
    written is exactly ``plotly.HTMLDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        post_cluster_map:
          type: insta_kedro.kedro_ext.html_dataset.HTMLDataset
          filepath: data/08_reporting/post_cluster_map.html
          save_args:
            include_plotlyjs: cdn

    Example usage for the Python API:

    .. code-block:: pycon

        >>> import plotly.express as px
        >>> from insta_kedro.kedro_ext.html_dataset import HTMLDataset
        >>> dataset = HTMLDataset(filepath=tmp_path / "map.html")
        >>> dataset.save(px.scatter(x=[0, 1], y=[1, 0]))
        >>> (tmp_path / "map.html").read_text().startswith("<html>")
        True
    """
