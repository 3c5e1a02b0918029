"""A resumable training's state, one file rewritten after each epoch: weights, optimizer,
dropout's random state, every epoch's logs, best weights.

Why not ``keras.callbacks.BackupAndRestore`` (with ``EarlyStopping``): it restores the
weights, the optimizer's variables and the epoch to go on from, so without dropout and
without an early stop a resumed training ends as an uninterrupted one. It does not keep

- the state of the seed generators (dropout's masks), which ``save_weights`` does not write:
  with dropout the resumed epochs draw other masks and end with other weights;
- ``EarlyStopping``'s best value, patience count and best weights, which its
  ``on_train_begin`` resets: a resumed training waits ``patience`` epochs afresh and ends
  with the best weights since the resume, not those of the whole training;
- the logs of the epochs before the interruption, which the training's history and its
  MLflow metric history hold.

It also writes its HDF5 file in place, so a training killed while writing leaves a file
that cannot be read (``double_checkpoint`` keeps a copy of the one before). Here one
``.npz`` holds everything a resumed training needs, written to a temporary name, then
renamed: an interruption leaves either the previous epoch's file or this one, never a
mixture. ``insta_kedro.captioning.training`` restores early stopping's state from it
(``_ResumableEarlyStopping``) and keys its folder by the data and settings.

Usage::

    checkpoint = TrainingCheckpoint(folder / "training.npz", monitor="val_loss")
    initial_epoch = checkpoint.restore(model)  # a compiled model; 0 when there is no file
    model.fit(..., initial_epoch=initial_epoch, callbacks=[checkpoint, ...])
"""

import json
import logging
import math
import os
from pathlib import Path

import keras
import numpy as np

logger = logging.getLogger(__name__)


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves, after each epoch, the model's weights, the optimizer's variables (Adam's moments
    and step count), the state of its seed generators (so dropout goes on with the masks it
    would have drawn), every epoch's logs so far and the best weights by ``monitor``."""

    def __init__(self, path: Path, monitor: str):
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        self.epochs: list[dict[str, float]] = []
        self.best_weights: list[np.ndarray] | None = None
        self._saved: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as saved:
                self._saved = dict(saved)
            self.epochs = json.loads(str(self._saved["epochs"]))
        self.resumed_at = len(self.epochs)

    def restore(self, model: keras.Model) -> int:
        """Puts the saved weights and optimizer state into ``model``; returns the epoch to
        start from (0 without a checkpoint). ``model`` must be compiled."""
        if not self._saved:
            return 0
        model.set_weights(_arrays(self._saved, "weight"))
        for variable, value in zip(_seed_states(model), _arrays(self._saved, "seed"), strict=False):
            variable.assign(value)
        self.best_weights = _arrays(self._saved, "best") or model.get_weights()
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        saved = _arrays(self._saved, "optimizer")
        if [v.shape for v in saved] == [tuple(v.shape) for v in optimizer.variables]:
            for variable, value in zip(optimizer.variables, saved, strict=True):
                variable.assign(value)
        else:
            logger.warning("%s: optimizer state of another shape, Adam starts afresh", self.path)
        self._saved = {}
        return self.resumed_at

    def best_epoch(self) -> int | None:
        """Index of the best epoch so far by ``monitor`` (None before the first)."""
        values = [epoch.get(self.monitor, math.inf) for epoch in self.epochs]
        return int(np.argmin(values)) if values else None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs = self.epochs[:epoch]
        self.epochs.append({k: float(v) for k, v in (logs or {}).items()})
        weights = self.model.get_weights()
        arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
        if self.best_epoch() == epoch:
            self.best_weights = weights
        else:  # the best weights are the current ones unless stored apart
            arrays |= {f"best_{i}": w for i, w in enumerate(self.best_weights or weights)}
        optimizer_values = [keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables]
        arrays |= {f"optimizer_{i}": v for i, v in enumerate(optimizer_values)}
        seeds = [keras.ops.convert_to_numpy(v) for v in _seed_states(self.model)]
        arrays |= {f"seed_{i}": v for i, v in enumerate(seeds)}
        arrays["epochs"] = np.array(json.dumps(self.epochs))
        partial = self.path.with_name(self.path.name + ".partial.npz")
        np.savez(partial, **arrays)
        os.replace(partial, self.path)


def _arrays(saved: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    """``prefix_0``, ``prefix_1``, … in order."""
    count = sum(1 for key in saved if key.startswith(f"{prefix}_"))
    return [saved[f"{prefix}_{i}"] for i in range(count)]


def _seed_states(model: keras.Model) -> list:
    """The states of the model's random seed generators (dropout's draws), not among its
    weights."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.non_trainable_variables if id(v) not in weights]
