"""The check of the caption model's settings (the ``caption_model.*`` parameters), run before
any work so that a bad setting stops a run before training, not after it."""

from collections.abc import Mapping
from typing import Any

from insta_kedro.captioning.decoding import check_decoding_settings
from insta_kedro.captioning.network import ARCHITECTURES

AUTO_OR_BOOL = ("auto", True, False)  # packed_training, fused_lstm
POSITIVE_INTEGERS = (
    "epochs",
    "batch_size",
    "max_len",
    "min_char_count",
    "lstm_units",
    "min_training_captions",
)


def check_caption_params(params: Mapping[str, Any]) -> None:
    """Check the ``caption_model`` settings ``params``; returns nothing.

    ``ValueError`` naming the first setting out of range: ``architecture`` not one of
    ``ARCHITECTURES``; ``epochs``, ``batch_size``, ``max_len``, ``min_char_count``,
    ``lstm_units`` or ``min_training_captions`` not an integer >= 1; ``packed_training`` or
    ``fused_lstm`` (``auto`` when absent) not ``auto``, true or false; or a decoding setting
    (``decoder``, ``temperature``, ``top_p``, ``beam_width``) that ``check_decoding_settings``
    refuses.
    """
    if params["architecture"] not in ARCHITECTURES:
        raise ValueError(
            f"caption_model.architecture must be one of {ARCHITECTURES}, "
            f"got {params['architecture']!r}"
        )
    for name in POSITIVE_INTEGERS:
        value = params[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise ValueError(f"caption_model.{name} must be an integer >= 1, got {value!r}")
    for name in ("packed_training", "fused_lstm"):
        if params.get(name, "auto") not in AUTO_OR_BOOL:
            raise ValueError(
                f"caption_model.{name} must be one of {AUTO_OR_BOOL}, got {params[name]!r}"
            )
    try:
        check_decoding_settings(
            params["decoder"], params["temperature"], params["top_p"], params["beam_width"]
        )
    except ValueError as error:
        raise ValueError(f"caption_model.{error}") from error
