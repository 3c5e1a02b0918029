"""A Keras model dataset whose value may be "no model": the run that did not train one.

Kedro refuses to save ``None``. When the caption_model pipeline does not train (a download
without photos, too few captioned photos: :mod:`insta_kedro.captioning.training_gate`), its
training node returns a :class:`~insta_kedro.captioning.training_gate.NotTrained` instead of a
network. This dataset saves that marker as *no file*: the model file of an earlier run is
removed, so the model on disk never disagrees with this run's ``caption_vocab`` and
``caption_metrics``, and nothing is logged to MLflow. Loading an absent file gives a
``NotTrained`` back, so the nodes downstream in the same run see "no model" and skip.
``exists()`` stays ``False`` then: a run that needs the model as an input (the web app, a run
starting after training) still learns that it has not been made.

A trained model is saved and loaded exactly as ``tensorflow.TensorFlowModelDataset`` does,
then logged as an artifact of the active MLflow run (under ``artifact_path``), as
``kedro_mlflow``'s ``MlflowArtifactDataset`` would; that wrapper cannot hold this dataset, as
it logs the file even when there is none.
"""

import logging
from typing import Any

import mlflow
from kedro.io.core import get_filepath_str
from kedro_datasets.tensorflow import TensorFlowModelDataset

from insta_kedro.captioning import NotTrained

logger = logging.getLogger(__name__)


class OptionalKerasModelDataset(TensorFlowModelDataset):
    """``tensorflow.TensorFlowModelDataset`` that also holds "no model" (:class:`NotTrained`).

    Example usage for the YAML API:

    .. code-block:: yaml

        caption_model:
          type: insta_kedro.kedro_ext.optional_model_dataset.OptionalKerasModelDataset
          filepath: data/06_models/caption_model.keras
          artifact_path: caption_model
          load_args:
            compile: false

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.captioning.training_gate import NotTrained
        >>> from insta_kedro.kedro_ext.optional_model_dataset import OptionalKerasModelDataset
        >>> dataset = OptionalKerasModelDataset(filepath=tmp_path / "model.keras")
        >>> dataset.save(NotTrained("no captioned photo"))
        >>> dataset.exists(), dataset.load()
        (False, NotTrained(reason='no captioned photo'))
    """

    def __init__(self, *, artifact_path: str | None = None, **kwargs: Any) -> None:
        """``artifact_path``: folder of the MLflow run's artifacts the saved model goes to
        (None: not logged); other arguments are ``tensorflow.TensorFlowModelDataset``'s."""
        super().__init__(**kwargs)
        self._artifact_path = artifact_path
        self._not_trained: NotTrained | None = None

    def save(self, data: Any) -> None:
        """Saves a Keras model (and logs it to the active MLflow run), or, for
        :class:`NotTrained`, removes the model file an earlier run left."""
        if isinstance(data, NotTrained):
            self._not_trained = data
            path = get_filepath_str(self._filepath, self._protocol)
            if self._version is None and self._fs.exists(path):
                self._fs.rm(path)
                logger.info("%s removed: this run trained no model (%s)", path, data.reason)
            return
        self._not_trained = None
        super().save(data)
        if self._artifact_path is not None and mlflow.active_run() is not None:
            saved = get_filepath_str(self._get_load_path(), self._protocol)
            mlflow.log_artifact(saved, self._artifact_path)

    def load(self) -> Any:
        """The saved Keras model, or a :class:`NotTrained` when there is no model file."""
        if not self._exists():
            if self._not_trained is not None:
                return self._not_trained
            return NotTrained(
                f"no model at {get_filepath_str(self._filepath, self._protocol)}: "
                "caption_model has not trained one"
            )
        return super().load()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "artifact_path": self._artifact_path}
