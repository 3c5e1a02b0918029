"""Whether the caption model trains, and what stands for the model when it does not.

The caption model learns from captioned photos. A download without photos
(``instaloader --no-pictures``), one whose images all fail to decode, or one with only a
handful of captioned photos cannot train it. The caption_model pipeline then still runs:
:func:`not_trained_reason` says why it does not train, the ``caption_model`` output is a
:class:`NotTrained` instead of a network, ``generated_captions`` is empty, and the training
history and ``caption_metrics`` say ``trained: false`` with the reason
(:func:`not_trained_history`, :func:`not_trained_metrics`). :func:`train_if_enough_data`
opens the gate: Keras and TensorFlow are imported only when it trains.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from insta_kedro.captioning import tracking
from insta_kedro.captioning.vocabulary import CaptionVocabulary

logger = logging.getLogger(__name__)

MIN_TRAINING_CAPTIONS_PARAM = "caption_model.min_training_captions"
# caption_data_report counts logged to MLflow as data.<name>, trained or not
DATA_COUNTS = ("n_posts", "n_captioned", "n_with_image_feature", "n_captioned_with_image_feature")


@dataclass(frozen=True)
class NotTrained:
    """The ``caption_model`` of a run that did not train one; ``reason`` says why."""

    reason: str


def not_trained_reason(report: Mapping[str, Any], min_training_captions: int) -> str | None:
    """Why the caption model does not train on the data of ``report``, or None when it does.

    ``report`` is the ``caption_data_report`` of ``prepare_caption_examples`` (``n_posts``,
    ``n_captioned``, ``n_with_image_feature``, ``n_captioned_with_image_feature``,
    ``split_sizes``, ``skipped``, ``image_feature_errors``). It does not train when fewer
    than ``min_training_captions`` posts have both a caption and a usable image feature, or
    when the split leaves no training caption. The reason names these counts and the posts
    left out by reason, so a reader can tell a download without photos from one with too few;
    when posts lack a feature while features of other posts are there (``posts`` written
    again since ``image_features``), it says which run makes them agree.
    """
    usable = int(report.get("n_captioned_with_image_feature", 0))
    train = int((report.get("split_sizes") or {}).get("train", 0))
    if usable >= min_training_captions and train > 0:
        return None
    if usable < min_training_captions:
        what = (
            f"{usable} captioned post(s) with a usable image feature, fewer than "
            f"{MIN_TRAINING_CAPTIONS_PARAM}={min_training_captions}"
        )
    else:
        split = dict(report.get("split_sizes") or {})
        what = f"the split leaves no training caption (split {split})"
    skipped = {k: v for k, v in (report.get("skipped") or {}).items() if v}
    errors = {k: v for k, v in (report.get("image_feature_errors") or {}).items() if v}
    details = [
        f"{report.get('n_posts', 0)} posts",
        f"{report.get('n_captioned', 0)} with a caption",
        f"{report.get('n_with_image_feature', 0)} with a usable image feature",
    ]
    if skipped:
        details.append(f"left out: {_counts(skipped)}")
    if errors:
        details.append(f"image feature errors: {_counts(errors)}")
    reason = f"{what} ({'; '.join(details)})"
    if skipped.get("no_image_feature") and skipped.get("feature_without_post"):
        reason += (
            ". The image features are of other posts (the posts changed after they were made):"
            " run `kedro run --pipelines=image_features,caption_model`"
        )
    return reason


def not_trained_history(reason: str) -> dict[str, Any]:
    """The training history (``caption_training_history``) of a run that did not train:
    ``trained: false``, the ``reason``, no epoch (empty ``loss``, ``val_loss``, ``val_bpc``)."""
    return {
        "trained": False,
        "not_trained_reason": reason,
        "epochs": {k: [] for k in ("loss", "val_loss", "val_bpc")},
        "epochs_run": 0,
    }


def not_trained_metrics(
    reason: str, data_report: Mapping[str, Any], *, min_training_captions: int, architecture: str
) -> dict[str, Any]:
    """The metrics (``caption_metrics``) of a run that did not train: ``trained: false``, the
    ``reason``, the threshold ``min_training_captions``, the data counts (``data``: the
    ``data_report`` of posts, captioned, with an image feature, left out by reason) and the
    ``architecture``."""
    return {
        "trained": False,
        "not_trained_reason": reason,
        "min_training_captions": min_training_captions,
        "data": data_report,
        "architecture": architecture,
    }


def train_if_enough_data(
    caption_examples: pd.DataFrame,
    vocab: CaptionVocabulary,
    data_report: Mapping[str, Any],
    params: Mapping[str, Any],
) -> tuple[Any, dict[str, Any]]:
    """The trained network (a ``keras.Model``) and its training history, or, on too little
    data, a :class:`NotTrained` and the history of a run that did not train.

    Takes the examples and the report of ``prepare_examples``, the vocabulary and the
    settings ``params``. With fewer than ``min_training_captions`` captioned posts with a
    usable image feature, or no training caption (``not_trained_reason``), it does not
    train: the model is a :class:`NotTrained` with the reason and the history says
    ``trained: false`` (``not_trained_history``). Otherwise it trains
    (``training.fit_caption_model``) and the history is that summary with ``trained: true``.
    The active MLflow run, if any, gets the report's counts (``data.*``), the tags
    ``caption_model.trained`` and ``caption_model.not_trained_reason`` or the device,
    packing and fused-LSTM tags, and the training time (``train.*``).
    """
    tracking.log_metrics(
        {k: data_report[k] for k in DATA_COUNTS if k in data_report},
        prefix="data.",
    )
    reason = not_trained_reason(data_report, params["min_training_captions"])
    if reason is not None:
        logger.warning(
            "caption_model: NOT TRAINED: %s. generated_captions is empty, so text_features, "
            "fusion and clustering go on without generated captions; caption_metrics says why.",
            reason,
        )
        tracking.set_tags(
            {"caption_model.trained": False, "caption_model.not_trained_reason": reason}
        )
        return NotTrained(reason), not_trained_history(reason)
    from insta_kedro.captioning.training import fit_caption_model  # Keras, TensorFlow

    model, summary = fit_caption_model(caption_examples, vocab, params)
    summary = {"trained": True, "not_trained_reason": None, **summary}
    tracking.set_tags(
        {
            "caption_model.trained": True,
            "caption_model.device": summary["device"],
            "caption_model.packed": summary["packed"],
            "caption_model.fused_lstm": summary["fused_lstm"],
        }
    )
    tracking.log_metrics(
        {k: summary[k] for k in ("train_seconds", "train_chars_per_second", "best_epoch")},
        prefix="train.",
    )
    return model, summary


def _counts(counts: Mapping[str, int]) -> str:
    """``reason: n`` pairs, most frequent first."""
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
