"""Training of the caption model: resumable after an interruption, packed or padded to the
same weights, early stopping counted across a resume."""

import io
import sys

import keras
import mlflow
import numpy as np
import pytest

from insta_kedro.captioning.checkpoint import TrainingCheckpoint
from insta_kedro.captioning.examples import prepare_examples, training_vocabulary
from insta_kedro.captioning.training import (
    _ResumableEarlyStopping,
    fit_caption_model,
    fit_verbosity,
)
from tests.captioning.conftest import synthetic_features


def _examples_and_vocab(posts, image_features, params):
    examples, _ = prepare_examples(
        posts,
        image_features,
        val_fraction=params["split"]["val_fraction"],
        test_fraction=params["split"]["test_fraction"],
        seed=params["seed"],
    )
    return examples, training_vocabulary(examples, params["min_char_count"], params["max_len"])


class _Interrupt(keras.callbacks.Callback):
    """Stops the training with a ``KeyboardInterrupt`` at the end of epoch ``after``
    (0-based), once that epoch's checkpoint is written."""

    def __init__(self, after: int = 1):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


class _EpochsSeen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_training_resumes_from_the_last_epoch(
    posts, image_features, tiny_params, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    params = {**tiny_params, "epochs": 4, "early_stopping_patience": 10}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(),))
    seen = _EpochsSeen()
    with mlflow.start_run() as run:
        _, history = fit_caption_model(examples, vocab, params, extra_callbacks=(seen,))
    assert seen.epochs == [2, 3]
    assert history["resumed_at_epoch"] == 2 and history["epochs_run"] == 4
    assert len(history["epochs"]["loss"]) == 4
    # the resumed run's MLflow history has every epoch, and says it resumed
    client = mlflow.MlflowClient()
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "val_bpc")]
    assert sorted(steps) == [1, 2, 3, 4]
    assert client.get_run(run.info.run_id).data.tags["caption_model.resumed_at_epoch"] == "2"
    # the finished training is kept: the same data and settings train nothing again
    seen = _EpochsSeen()
    _, again = fit_caption_model(examples, vocab, params, extra_callbacks=(seen,))
    assert seen.epochs == [] and again["epochs"] == history["epochs"]
    assert again["train_chars_per_second"] is None
    # nor when only how captions are generated and evaluated changes
    seen = _EpochsSeen()
    other_decoding = {
        **params,
        "decoder": "beam",
        "beam_width": 5,
        "temperature": 0.5,
        "top_p": 0.5,
        "no_repeat_ngram_size": 0,
        "decode_batch_size": 1,
        "ngram_order": 3,
        "shuffled_image_repeats": 7,
        "real_word_list_size": 100,
        "samples_in_table": 0,
    }
    _, again = fit_caption_model(examples, vocab, other_decoding, extra_callbacks=(seen,))
    assert seen.epochs == [] and again["epochs"] == history["epochs"]
    # another configuration never resumes from that checkpoint
    seen = _EpochsSeen()
    fit_caption_model(examples, vocab, {**params, "learning_rate": 0.02}, (seen,))
    assert seen.epochs == [0, 1, 2, 3]


def test_a_resumed_training_ends_where_an_uninterrupted_one_does(
    posts, image_features, tiny_params, tmp_path
):
    # dropout and several shuffled batches per epoch: the resumed epochs must draw the same
    # batches and the same dropout masks as the uninterrupted ones
    params = {**tiny_params, "epochs": 4, "early_stopping_patience": 10, "dropout": 0.3}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    elsewhere = {**params, "checkpoint_dir": str(tmp_path / "uninterrupted")}
    whole, whole_history = fit_caption_model(examples, vocab, elsewhere)
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(),))
    resumed, history = fit_caption_model(examples, vocab, params)
    assert history["resumed_at_epoch"] == 2
    assert history["epochs"]["loss"] == pytest.approx(whole_history["epochs"]["loss"], rel=1e-5)
    for got, want in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_resumed_training_stops_early_where_an_uninterrupted_one_does(
    posts, image_features, tiny_params, tmp_path
):
    # interrupted between the best epoch and the early stop: the resumed training must count
    # the patience from before the interruption and end with that best epoch's weights
    # (Keras's EarlyStopping alone starts afresh at a resume)
    params = {**tiny_params, "epochs": 30, "early_stopping_patience": 2, "learning_rate": 0.05}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    elsewhere = {**params, "checkpoint_dir": str(tmp_path / "uninterrupted")}
    whole, whole_history = fit_caption_model(examples, vocab, elsewhere)
    best = whole_history["best_epoch"]  # 1-based: the 0-based index of the epoch after it
    assert whole_history["epochs_run"] == best + 2 < params["epochs"]  # it stopped early
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(after=best),))
    seen = _EpochsSeen()
    resumed, history = fit_caption_model(examples, vocab, params, extra_callbacks=(seen,))
    assert history["resumed_at_epoch"] == best + 1 and seen.epochs == [best + 1]
    assert (history["epochs_run"], history["best_epoch"]) == (best + 2, best)
    assert history["epochs"]["val_loss"] == pytest.approx(
        whole_history["epochs"]["val_loss"], rel=1e-5
    )
    for got, want in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_packed_and_padded_training_end_with_the_same_weights(
    posts, image_features, tiny_params, fused_lstm_op_builds
):
    # the same batches, loss and gradients; only the LSTM's work on padding differs
    params = {**tiny_params, "epochs": 3, "early_stopping_patience": 10}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    packed, packed_history = fit_caption_model(examples, vocab, {**params, "packed_training": True})
    padded, padded_history = fit_caption_model(
        examples, vocab, {**params, "packed_training": False}
    )
    assert packed_history["packed"] and not padded_history["packed"]
    assert packed_history["fused_lstm"] == fused_lstm_op_builds
    assert not padded_history["fused_lstm"]
    for key in ("loss", "val_loss"):
        assert packed_history["epochs"][key] == pytest.approx(
            padded_history["epochs"][key], rel=1e-4
        )
    for got, want in zip(packed.get_weights(), padded.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)


def test_resumed_early_stopping_keeps_the_best_weights_of_the_whole_training(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    best = [np.full_like(w, 1.0) for w in model.get_weights()]
    latest = [np.full_like(w, 2.0) for w in model.get_weights()]
    writer = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    writer.set_model(model)
    for epoch, (weights, val_loss) in enumerate([(latest, 1.0), (best, 0.5), (latest, 0.7)]):
        model.set_weights(weights)
        writer.on_epoch_end(epoch, {"val_loss": val_loss})

    model = keras.models.clone_model(model)
    model.compile(optimizer="adam", loss="mse")
    checkpoint = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    assert checkpoint.restore(model) == 3
    stopping = _ResumableEarlyStopping(checkpoint, monitor="val_loss", patience=2)
    stopping.set_model(model)
    stopping.on_train_begin()
    assert (stopping.best, stopping.best_epoch, stopping.wait) == (0.5, 1, 1)
    np.testing.assert_array_equal(model.get_weights()[0], latest[0])  # training goes on there
    stopping.on_epoch_end(3, {"val_loss": 0.9})
    assert model.stop_training  # patience 2 counted across the resume
    stopping.on_train_end()
    np.testing.assert_array_equal(model.get_weights()[0], best[0])


class _Stream(io.StringIO):
    def __init__(self, terminal: bool):
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_auto_verbosity_is_a_bar_in_a_terminal_and_silence_in_a_log(monkeypatch):
    monkeypatch.setattr(sys, "stdout", _Stream(terminal=True))
    assert fit_verbosity("auto") == 1
    monkeypatch.setattr(sys, "stdout", _Stream(terminal=False))
    assert fit_verbosity("auto") == 0
    assert fit_verbosity(2) == 2


def test_a_finished_training_is_reused_until_its_model_is_saved(posts, image_features, tiny_params):
    """A run killed after its training but before Kedro saved the model loses no epoch: the
    next run with the same data and settings takes the finished training's best weights."""
    params = {**tiny_params, "epochs": 3, "early_stopping_patience": 10}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    trained, history = fit_caption_model(examples, vocab, params)
    seen = _EpochsSeen()
    reused, again = fit_caption_model(examples, vocab, params, extra_callbacks=(seen,))
    assert seen.epochs == []
    assert (again["epochs_run"], again["best_epoch"]) == (3, history["best_epoch"])
    for got, want in zip(reused.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dim", [24, 12], ids=["other values", "other width"])
def test_a_finished_training_on_other_image_features_is_not_reused(
    posts, image_features, tiny_params, dim
):
    """The checkpoint is keyed by the image features too: after a change of encoder
    (`image_features.layer: pool`, pretrained weights instead of random ones) the same posts,
    captions and settings train afresh on the new features, never reuse weights trained on
    the old ones (nor fail on their width)."""
    params = {**tiny_params, "epochs": 2, "early_stopping_patience": 10}
    examples, vocab = _examples_and_vocab(posts, image_features, params)
    fit_caption_model(examples, vocab, params)
    other_features = synthetic_features(posts, dim=dim, seed=1)
    other_examples, other_vocab = _examples_and_vocab(posts, other_features, params)
    assert other_vocab.to_dict() == vocab.to_dict()
    seen = _EpochsSeen()
    model, history = fit_caption_model(other_examples, other_vocab, params, extra_callbacks=(seen,))
    assert seen.epochs == [0, 1]
    assert history["resumed_at_epoch"] == 0
    assert model.inputs[0].shape[-1] == dim
