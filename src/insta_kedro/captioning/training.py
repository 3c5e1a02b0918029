"""Training of the caption model: the compiled network, the network ``fit`` trains (padded or
packed), the resumable training loop, and the callback that logs each epoch to MLflow.

``params`` is the caption model's settings (the ``caption_model`` parameters) as a mapping:
the training reads from it the network's sizes (``architecture``, ``embedding_dim``,
``lstm_units``, ``hidden_units``, ``image_weight``, ``dropout``), ``learning_rate``,
``epochs``, ``batch_size``, ``early_stopping_patience``, ``seed``, ``checkpoint_dir``,
``min_training_captions`` and optionally ``packed_training``, ``fused_lstm``,
``length_multiple`` and ``verbose``. All of it but ``UNKEYED_SETTINGS`` (``checkpoint_dir``,
``verbose`` and the generation and evaluation settings) keys the checkpoint, with the data:
the training posts, their captions and image features.
"""

import hashlib
import json
import logging
import math
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd
import tensorflow as tf

from insta_kedro.captioning import tracking
from insta_kedro.captioning.batches import batches_per_epoch, caption_batches
from insta_kedro.captioning.checkpoint import TrainingCheckpoint
from insta_kedro.captioning.examples import split_arrays
from insta_kedro.captioning.network import (
    MaskedSparseCategoricalCrossentropy,
    build_caption_model,
    build_packed_training_network,
    uses_fused_lstm,
)
from insta_kedro.captioning.vocabulary import CaptionVocabulary

logger = logging.getLogger(__name__)


class EpochMetricsLogger(keras.callbacks.Callback):
    """Adds ``val_bpc`` (= val_loss / ln 2) to the epoch logs and logs them to MLflow."""

    def __init__(self, metric_names: tuple[str, ...] = tracking.EPOCH_METRICS):
        super().__init__()
        self.metric_names = metric_names

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        if "val_loss" in logs:
            logs["val_bpc"] = float(logs["val_loss"]) / math.log(2)
        if tracking.active():
            values = {k: float(logs[k]) for k in self.metric_names if k in logs}
            mlflow.log_metrics(values, step=epoch + 1)


def _compiled(network: keras.Model, params: Mapping[str, Any]) -> keras.Model:
    """``network`` compiled with Adam at ``learning_rate`` and the masked loss."""
    network.compile(
        optimizer=keras.optimizers.Adam(params["learning_rate"]),
        loss=MaskedSparseCategoricalCrossentropy(),
    )
    return network


def new_caption_model(
    vocab: CaptionVocabulary, feature_dim: int, params: Mapping[str, Any]
) -> keras.Model:
    """The network of ``params`` (``architecture`` and sizes) for ``vocab`` and image features
    of ``feature_dim``, compiled with Adam at ``learning_rate`` and the masked loss."""
    model = build_caption_model(
        params["architecture"],
        vocab.size,
        feature_dim,
        embedding_dim=params["embedding_dim"],
        lstm_units=params["lstm_units"],
        hidden_units=params["hidden_units"],
        image_weight=params["image_weight"],
        dropout=params["dropout"],
    )
    return _compiled(model, params)


def packs_captions(params: Mapping[str, Any]) -> bool:
    """Whether training packs captions into rows: ``packed_training`` true, or ``auto`` (the
    default) without a GPU. On a GPU the padded network's LSTM runs on cuDNN, which a packed
    row's custom cell cannot."""
    setting = params.get("packed_training", "auto")
    if setting == "auto":
        return not tf.config.list_physical_devices("GPU")
    return bool(setting)


def training_network(model: keras.Model, params: Mapping[str, Any]) -> keras.Model:
    """The compiled network that ``fit`` trains: ``model`` itself, or its packed view
    (``build_packed_training_network``, same weights) when :func:`packs_captions`, its LSTM
    fused (``fused_lstm``: ``auto`` where the op builds, ``true``, ``false``)."""
    if not packs_captions(params):
        return model
    fused = params.get("fused_lstm", "auto")
    fused = None if fused == "auto" else bool(fused)
    return _compiled(build_packed_training_network(model, fused=fused), params)


class _ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Early stopping whose best value, patience count and best weights survive a resume
    (from the ``TrainingCheckpoint``). Without that, a resumed run would restore the best
    weights since the resume, not the best of the whole training."""

    def __init__(self, checkpoint: TrainingCheckpoint, **kwargs):
        super().__init__(restore_best_weights=True, **kwargs)
        self.checkpoint = checkpoint

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        best = self.checkpoint.best_epoch()
        if best is None or self.checkpoint.best_weights is None:
            return
        self.best = self.checkpoint.epochs[best].get(self.monitor, math.inf)
        self.best_epoch = best
        self.wait = len(self.checkpoint.epochs) - 1 - best
        self.best_weights = self.checkpoint.best_weights


# the settings that do not change the trained weights: where the checkpoint is, how much
# training prints, and how captions are generated and evaluated (a run that changes only these
# reuses a finished training)
UNKEYED_SETTINGS = (
    "checkpoint_dir",
    "verbose",
    "decoder",
    "beam_width",
    "temperature",
    "top_p",
    "no_repeat_ngram_size",
    "decode_batch_size",
    "ngram_order",
    "shuffled_image_repeats",
    "real_word_list_size",
    "samples_in_table",
)


def training_fingerprint(
    params: Mapping[str, Any],
    packed: bool,
    vocab: CaptionVocabulary,
    caption_examples: pd.DataFrame,
    splits: tuple[tuple[np.ndarray, ...], ...],
) -> str:
    """The key of a training's checkpoint folder, a sha256 hex digest of the settings (all
    but ``UNKEYED_SETTINGS``), whether it trains packed, the vocabulary, the
    training posts, and the arrays of ``splits`` (``split_arrays``'s image features and
    encoded captions of the splits it learns and early-stops on): another encoder keeps the
    posts and captions but not their image features."""
    digest = hashlib.sha256(
        json.dumps(
            [
                {k: v for k, v in params.items() if k not in UNKEYED_SETTINGS},
                packed,
                vocab.to_dict(),
                sorted(caption_examples.loc[caption_examples["split"] == "train", "post_id"]),
            ],
            sort_keys=True,
            default=str,
        ).encode()
    )
    for array in (array for split in splits for array in split):
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(memoryview(np.ascontiguousarray(array)))
    return digest.hexdigest()


def fit_caption_model(
    caption_examples: pd.DataFrame,
    vocab: CaptionVocabulary,
    params: Mapping[str, Any],
    extra_callbacks: tuple[keras.callbacks.Callback, ...] = (),
) -> tuple[keras.Model, dict[str, Any]]:
    """Train with tf.data, Adam and early stopping (best weights kept), resumable.

    Takes the examples (``prepare_examples``; trains on ``train``, early-stops on ``val``
    when there is one, on the training loss otherwise), the vocabulary, the settings
    ``params`` and callbacks to add to ``fit``. Returns the trained network (best weights)
    and a summary: per-epoch ``loss``, ``val_loss`` and ``val_bpc``, the epochs run, the
    epoch it resumed at, the best epoch (1-based) and its ``val_bpc``, the training time
    and characters per second, the batch size, whether it trained packed and on the fused
    LSTM op, and the device. Epoch metrics go to the active MLflow run, if any.
    ``ValueError`` when there is no training caption.

    On a CPU the batches are packed (``packed_training``): the same captions per update and
    the same loss, with no LSTM step spent on padding.

    After each epoch the weights, Adam's state and the epoch logs go to ``checkpoint_dir``
    (``TrainingCheckpoint``); a run interrupted there starts again after the last finished
    epoch. The folder is keyed by a fingerprint of the data (captions and image features
    included) and training settings (``training_fingerprint``; a folder of other data or
    settings is removed). It stays when training ends, marked ``finished``: a later
    run with the same data and settings takes its best weights and trains nothing, so a run
    killed after training but before its model was saved loses no epoch.
    """
    keras.utils.set_random_seed(params["seed"])
    train = split_arrays(caption_examples, vocab, "train")
    val = split_arrays(caption_examples, vocab, "val")
    if len(train[1]) == 0:
        raise ValueError("caption_model: no training caption (see the split report)")
    feature_dim = train[0].shape[1]
    model = new_caption_model(vocab, feature_dim, params)
    network = training_network(model, params)
    packed = network is not model

    checkpoint_dir = Path(params["checkpoint_dir"])
    fingerprint = training_fingerprint(params, packed, vocab, caption_examples, (train, val))
    fingerprint_file = checkpoint_dir / "fingerprint.txt"
    if checkpoint_dir.exists() and (
        not fingerprint_file.exists() or fingerprint_file.read_text() != fingerprint
    ):
        logger.info(
            "caption_model: checkpoint of other data/settings in %s, removed", checkpoint_dir
        )
        shutil.rmtree(checkpoint_dir)
    if not checkpoint_dir.exists():
        # Written only into a new folder: rewriting it in place, a run killed within the
        # write would leave it empty, and the next run would discard the finished epochs.
        checkpoint_dir.mkdir(parents=True)
        fingerprint_file.write_text(fingerprint)

    has_val = len(val[1]) > 0
    monitor = "val_loss" if has_val else "loss"
    checkpoint = TrainingCheckpoint(checkpoint_dir / "training.npz", monitor)
    initial_epoch = checkpoint.restore(network)
    finished_file = checkpoint_dir / "finished"
    finished = finished_file.exists() and checkpoint.best_weights is not None
    if finished:
        logger.info(
            "caption_model: training of these data and settings finished in %s: its best "
            "weights are used, nothing is trained again",
            checkpoint_dir,
        )
        tracking.set_tags({"caption_model.reused_finished_training": True})
    elif initial_epoch:
        logger.info("caption_model: resuming after epoch %d", initial_epoch)
    if initial_epoch:
        # this run's metric history starts with the epochs the interrupted run trained
        tracking.log_epoch_history(checkpoint.epochs)
        tracking.set_tags({"caption_model.resumed_at_epoch": initial_epoch})
    callbacks = [
        EpochMetricsLogger(),  # first: it adds val_bpc to the logs
        checkpoint,
        _ResumableEarlyStopping(
            checkpoint, monitor=monitor, patience=params["early_stopping_patience"]
        ),
        *extra_callbacks,
    ]
    batch_size = params["batch_size"]
    batching = {"length_multiple": params.get("length_multiple", 8), "packed": packed}
    train_batches = caption_batches(*train, batch_size, params["seed"], **batching, repeat=True)
    steps_per_epoch = batches_per_epoch(len(train[1]), batch_size, shuffled=True)
    if initial_epoch:  # the finished epochs' batches: later epochs see the same order as before
        train_batches = train_batches.skip(initial_epoch * steps_per_epoch)
    val_batches = None
    if has_val:  # an empty dataset repeated without end would never yield
        val_batches = caption_batches(*val, batch_size, None, **batching, repeat=True)
    started = time.perf_counter()
    if finished:
        network.set_weights(checkpoint.best_weights)  # as early stopping ends a training
    else:
        network.fit(
            train_batches,
            steps_per_epoch=steps_per_epoch,
            validation_data=val_batches,
            validation_steps=batches_per_epoch(len(val[1]), batch_size, shuffled=False) or None,
            epochs=params["epochs"],
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            shuffle=False,  # the tf.data pipeline shuffles
            verbose=fit_verbosity(params.get("verbose", "auto")),
        )
        finished_file.touch()
    seconds = time.perf_counter() - started

    epochs = checkpoint.epochs
    best = checkpoint.best_epoch() if epochs else -1
    trained_epochs = len(epochs) - initial_epoch
    train_chars = int((train[2] != 0).sum())
    summary = {
        "epochs": {k: [e.get(k) for e in epochs] for k in ("loss", "val_loss", "val_bpc")},
        "epochs_run": len(epochs),
        "resumed_at_epoch": initial_epoch,
        "best_epoch": best + 1,
        "best_val_bpc": epochs[best].get("val_bpc") if epochs else None,
        "train_seconds": seconds,
        "train_chars_per_second": (
            train_chars * trained_epochs / seconds if seconds and trained_epochs else None
        ),
        "batch_size": batch_size,
        "packed": packed,
        "fused_lstm": uses_fused_lstm(network),
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
    }
    logger.info(
        "caption_model: %d epochs in %.1f s (%.0f characters/s, %s LSTM on %s); best epoch %d",
        trained_epochs,
        seconds,
        summary["train_chars_per_second"] or 0.0,
        "fused" if summary["fused_lstm"] else "Keras's",
        summary["device"],
        summary["best_epoch"],
    )
    return model, summary


def fit_verbosity(verbose: str | int) -> int:
    """Keras ``fit``'s ``verbose`` for the ``verbose`` setting: ``"auto"`` is a progress bar
    (1) when standard output is a terminal and silence (0) otherwise, where the one summary
    line logged after training says how it went; 0, 1 and 2 are Keras's own."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 0
    return int(verbose)
