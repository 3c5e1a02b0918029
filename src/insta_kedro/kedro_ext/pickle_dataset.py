"""``pickle.PickleDataset`` whose file appears at its path only once it is whole.

The fitted models (the topic model, the interest classifier, the fusion model, the persona
clusterers) are pickles that the web app's Try a photo page loads while a run may be writing
them. kedro-datasets writes a pickle in place, so a reader could find it half written, and an
object that cannot be pickled (found only when pickle reaches it) left a file cut short where
the last run's model was. This dataset writes the same file beside its path and moves it there
once it is whole (``whole_files.WholeFileSave``).
"""

from kedro_datasets.pickle import PickleDataset as KedroPickleDataset

from insta_kedro.kedro_ext.whole_files import WholeFileSave


class PickleDataset(WholeFileSave, KedroPickleDataset):
    """``pickle.PickleDataset`` whose file appears at its path only once it is whole: loading
    and the file written are exactly ``pickle.PickleDataset``'s.

    Example usage for the YAML API:

    .. code-block:: yaml

        fusion_model:
          type: insta_kedro.kedro_ext.pickle_dataset.PickleDataset
          filepath: data/06_models/fusion_model.pickle

    Example usage for the Python API:

    .. code-block:: pycon

        >>> from insta_kedro.kedro_ext.pickle_dataset import PickleDataset
        >>> dataset = PickleDataset(filepath=tmp_path / "model.pickle")
        >>> dataset.save({"weights": [0.5, 0.25]})
        >>> dataset.load()
        {'weights': [0.5, 0.25]}
    """
