"""MLflow logging of the caption model inside the run kedro-mlflow opened.

kedro-mlflow opens one MLflow run per ``kedro run`` and logs the parameters; these helpers
add metric history, test metrics and tags to that active run. Without an active run (a
plain Python call, a unit test) they do nothing, so nodes stay usable anywhere.
"""

import hashlib
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import mlflow
import numpy as np

EPOCH_METRICS = ("loss", "val_loss", "val_bpc")


def active() -> bool:
    return mlflow.active_run() is not None


def data_fingerprint(post_ids: Iterable[str]) -> dict[str, str]:
    """Number of posts and a SHA-256 of their sorted ids: the same data gives the same tags."""
    ids = sorted(str(p) for p in post_ids)
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
    return {"n_posts": str(len(ids)), "post_ids_sha256": digest}


def set_tags(tags: Mapping[str, Any]) -> None:
    if active():
        mlflow.set_tags({k: str(v) for k, v in tags.items()})


def flatten_numbers(data: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Finite numbers of a nested dict (Python's or numpy's) as ``a.b.c`` keys; None, text,
    booleans and lists are left out."""
    out: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_numbers(value, f"{name}."))
        elif isinstance(value, bool | np.bool_):
            continue
        elif isinstance(value, numbers.Real) and math.isfinite(value):
            out[name] = float(value)
    return out


def log_metrics(metrics: Mapping[str, Any], prefix: str = "") -> None:
    if active():
        mlflow.log_metrics(flatten_numbers(metrics, prefix))


def log_epoch_history(epochs: list[Mapping[str, float]], names=EPOCH_METRICS) -> None:
    """Per-epoch metrics of epochs trained before (a resumed training), steps 1, 2, …"""
    if active():
        for step, logs in enumerate(epochs, start=1):
            mlflow.log_metrics({k: float(logs[k]) for k in names if k in logs}, step=step)
