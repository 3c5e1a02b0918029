"""``tensorflow.TensorFlowModelDataset`` whose file appears at its path only once it is whole.

kedro-datasets saves a Keras model in a temporary folder, then copies the file to its path,
where the web app's Try a photo page, loading the caption model while a run saves a new one,
could find it half copied. This dataset copies it beside its path and moves it there once it
is whole (``whole_files.WholeFileSave``). Importing this module imports TensorFlow: the
caption model's dataset (``optional_model_dataset``) imports it when a model is first saved or
loaded.
"""

from kedro_datasets.tensorflow import TensorFlowModelDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class KerasModelDataset(WholeFileSave, TensorFlowModelDataset):
    """``tensorflow.TensorFlowModelDataset`` whose file appears at its path only once it is
    whole: loading and the file written are exactly ``tensorflow.TensorFlowModelDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        caption_model:
          type: insta_kedro.kedro_ext.keras_model_dataset.KerasModelDataset
          filepath: data/06_models/caption_model.keras
          load_args:
            compile: false

    Example usage for the Python API:

    .. code-block:: pycon

        >>> import keras
        >>> from insta_kedro.kedro_ext.keras_model_dataset import KerasModelDataset
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> dataset = KerasModelDataset(filepath=tmp_path / "model.keras")
        >>> dataset.save(model)
        >>> dataset.load().count_params()
        8
    """
