"""TrainingCheckpoint: a resumed training continues exactly where the interrupted one stopped."""

import keras
import numpy as np
import pytest

from insta_kedro.captioning.checkpoint import TrainingCheckpoint


def small_model(seed: int, dropout: float = 0.0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dropout(dropout)(keras.layers.Dense(8, "relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def fit(model, data, checkpoint, epochs, *callbacks):
    x, y = data
    return model.fit(
        x,
        y,
        batch_size=32,
        shuffle=False,
        epochs=epochs,
        initial_epoch=checkpoint.restore(model),
        callbacks=[checkpoint, *callbacks],
        verbose=0,
    )


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_a_resumed_training_ends_where_an_uninterrupted_one_does(tmp_path, data, dropout):
    whole = small_model(seed=1, dropout=dropout)
    fit(whole, data, TrainingCheckpoint(tmp_path / "whole.npz", "loss"), epochs=6)

    path = tmp_path / "training.npz"
    with pytest.raises(KeyboardInterrupt):
        fit(small_model(1, dropout), data, TrainingCheckpoint(path, "loss"), 6, _StopAfter(2))
    # other initial weights and dropout seeds: the checkpoint replaces them
    resumed = small_model(seed=99, dropout=dropout)
    checkpoint = TrainingCheckpoint(path, "loss")
    assert checkpoint.resumed_at == 3
    history = fit(resumed, data, checkpoint, epochs=6)

    assert history.epoch == [3, 4, 5]
    assert len(checkpoint.epochs) == 6
    # weights, Adam's moments and step and dropout's random state were restored: the same
    # result as never stopping
    for got, want in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert int(resumed.optimizer.iterations) == int(whole.optimizer.iterations) == 6


def test_the_best_weights_are_kept_apart_from_the_latest(tmp_path):
    model = small_model(seed=1)
    checkpoint = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    checkpoint.set_model(model)
    snapshots = []
    for epoch, val_loss in enumerate([0.9, 0.4, 0.6, 0.5]):
        model.set_weights([w + 1.0 for w in model.get_weights()])
        snapshots.append(model.get_weights())
        checkpoint.on_epoch_end(epoch, {"val_loss": val_loss})

    restored = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    other = small_model(seed=2)
    assert restored.restore(other) == 4
    assert restored.best_epoch() == 1
    np.testing.assert_array_equal(restored.best_weights[0], snapshots[1][0])
    np.testing.assert_array_equal(other.get_weights()[0], snapshots[3][0])
    assert [e["val_loss"] for e in restored.epochs] == pytest.approx([0.9, 0.4, 0.6, 0.5])


def test_an_interrupted_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    model = small_model(seed=1)
    checkpoint = TrainingCheckpoint(tmp_path / "training.npz", "loss")
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"loss": 1.0})

    def killed_while_writing(path, **arrays):
        path.write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", killed_while_writing)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(1, {"loss": 0.5})
    monkeypatch.undo()
    assert TrainingCheckpoint(tmp_path / "training.npz", "loss").resumed_at == 1


def test_without_a_file_training_starts_at_epoch_zero(tmp_path):
    model = small_model(seed=1)
    before = model.get_weights()
    checkpoint = TrainingCheckpoint(tmp_path / "none.npz", "loss")
    assert checkpoint.restore(model) == 0 and checkpoint.epochs == []
    np.testing.assert_array_equal(model.get_weights()[0], before[0])
