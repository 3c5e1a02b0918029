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

A trained model is saved and loaded by ``tensorflow.TensorFlowModelDataset``, its file
appearing at its path whole (``keras_model_dataset``), then logged as an artifact of the
active MLflow run (under ``artifact_path``), as ``kedro_mlflow``'s ``MlflowArtifactDataset``
would; that wrapper cannot hold this dataset, as it logs the file even when there is none.
"""

import logging
from typing import Any

import fsspec
from kedro.io import AbstractDataset
from kedro.io.core import get_protocol_and_path

from insta_kedro.captioning import NotTrained

logger = logging.getLogger(__name__)


class OptionalKerasModelDataset(AbstractDataset):
    """``tensorflow.TensorFlowModelDataset`` that also holds "no model" (:class:`NotTrained`).

    TensorFlow is imported when a model is first saved or loaded, not when the catalog is
    built, so a run that does not touch the model (``--pipelines=ingestion``) never imports it.

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

    def __init__(
        self,
        *,
        filepath: str,
        artifact_path: str | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """``filepath``: where the model is saved; ``artifact_path``: folder of the MLflow
        run's artifacts the saved model goes to (None: not logged); ``metadata``: for
        kedro-viz and other plugins; other arguments are ``tensorflow.TensorFlowModelDataset``'s
        (``load_args``, ``save_args``, ``version``, ...)."""
        self.metadata = metadata
        self._filepath = str(filepath)
        self._artifact_path = artifact_path
        self._kwargs = kwargs
        self._model_dataset: Any = None
        self._not_trained: NotTrained | None = None
        protocol, self._path = get_protocol_and_path(self._filepath)
        self._fs = fsspec.filesystem(protocol)

    def _models(self) -> Any:
        """The ``TensorFlowModelDataset`` that saves and loads trained models, its file
        appearing at its path whole (``keras_model_dataset``)."""
        if self._model_dataset is None:
            from insta_kedro.kedro_ext.keras_model_dataset import KerasModelDataset

            self._model_dataset = KerasModelDataset(filepath=self._filepath, **self._kwargs)
        return self._model_dataset

    def save(self, data: Any) -> None:
        """Saves a Keras model (and logs it to the active MLflow run), or, for
        :class:`NotTrained`, removes the model file an earlier run left."""
        if isinstance(data, NotTrained):
            self._not_trained = data
            if self._kwargs.get("version") is None and self._fs.exists(self._path):
                self._fs.rm(self._path)
                logger.info("%s removed: this run trained no model (%s)", self._path, data.reason)
            return
        self._not_trained = None
        models = self._models()
        models.save(data)
        import mlflow

        if self._artifact_path is not None and mlflow.active_run() is not None:
            mlflow.log_artifact(models._get_load_path().as_posix(), self._artifact_path)

    def load(self) -> Any:
        """The saved Keras model, or a :class:`NotTrained` when there is no model file."""
        if not self._exists():
            if self._not_trained is not None:
                return self._not_trained
            return NotTrained(f"no model at {self._path}: caption_model has not trained one")
        return self._models().load()

    def _exists(self) -> bool:
        if self._kwargs.get("version") is None:
            return self._fs.exists(self._path)
        return self._models().exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "artifact_path": self._artifact_path, **self._kwargs}
