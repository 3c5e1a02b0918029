"""``json.JSONDataset`` whose file appears at its path only once it is whole.

The reports, the characterizations and the cluster profiles are JSON files that the web app
reads while a run may be writing them. kedro-datasets writes a JSON file in place, so a reader
could find it half written, and a value ``json`` cannot write (found only when it reaches it)
left a file cut short where the last run's complete one was. This dataset writes the same
file beside its path and moves it there once it is whole (``whole_files.WholeFileSave``).
"""

from kedro_datasets.json import JSONDataset as KedroJSONDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class JSONDataset(WholeFileSave, KedroJSONDataset):
    """``json.JSONDataset`` whose file appears at its path only once it is whole: loading and
    the file written are exactly ``json.JSONDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        user_characterizations:
          type: insta_kedro.kedro_ext.json_dataset.JSONDataset
          filepath: data/08_reporting/user_characterizations.json
          save_args:
            indent: 2

    Inside an MLflow artifact (kedro-mlflow):

    .. code-block:: yaml

        clustering_report:
          type: kedro_mlflow.io.artifacts.MlflowArtifactDataset
          artifact_path: clustering
          dataset:
            type: insta_kedro.kedro_ext.json_dataset.JSONDataset
            filepath: data/08_reporting/clustering_report.json

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.kedro_ext.json_dataset import JSONDataset
        >>> dataset = JSONDataset(filepath=tmp_path / "report.json")
        >>> dataset.save({"posts": 3})
        >>> dataset.load()
        {'posts': 3}
    """
