"""Evaluation of the caption model on the test posts: bits per character next to a character
n-gram and to the same network fed other posts' images, measures of the generated captions,
and a table of real next to generated captions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from insta_kedro.captioning import tracking
from insta_kedro.captioning.char_ngram import CharNgramModel
from insta_kedro.captioning.examples import split_arrays
from insta_kedro.captioning.metrics import (
    bits_per_character,
    english_words,
    text_metrics,
    token_nats,
)
from insta_kedro.captioning.training_gate import NotTrained, not_trained_metrics
from insta_kedro.captioning.vocabulary import UNK_ID, CaptionVocabulary

if TYPE_CHECKING:  # a run that trained nothing is evaluated without Keras
    import keras

logger = logging.getLogger(__name__)

MOSTLY_UNK = 0.5  # above this share of UNK test characters, the evaluation warns
# generated test captions ending within max_len less than this share as often as the real
# ones: the evaluation warns
FEW_ENDED = 0.5
# the measures of the real test captions set beside the generated captions
REFERENCE_METRICS = (
    "real_word_rate",
    "hashtag_rate",
    "distinct_1",
    "distinct_2",
    "mean_length",
    "ended_rate",
)
SAMPLE_COLUMNS = ("post_id", "real_caption", "generated_caption", "mean_log_prob", "decoder")
# the training summary's entries copied into the metrics
TRAINING_KEYS = (
    "epochs_run",
    "resumed_at_epoch",
    "best_epoch",
    "best_val_bpc",
    "train_seconds",
    "device",
    "packed",
    "fused_lstm",
)


def shuffled_order(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random order of ``n`` items in which none keeps its place (one random cycle through
    all of them), so every caption is scored with another post's image."""
    cycle = rng.permutation(n)
    order = np.empty(n, dtype=np.int64)
    order[cycle] = np.roll(cycle, -1)
    return order


def _shuffled_bpc(model, images, inputs, targets, repeats: int, seed: int) -> float | None:
    """Bits per character of the captions (``inputs``, ``targets``) with each caption's image
    replaced by another's (:func:`shuffled_order`), over ``repeats`` seeded shuffles; None
    for fewer than two captions."""
    if len(images) < 2:
        return None
    rng = np.random.default_rng(seed)
    nats, count = 0.0, 0
    for _ in range(repeats):
        n, c = token_nats(model, images[shuffled_order(len(images), rng)], inputs, targets)
        nats, count = nats + n, count + c
    return bits_per_character(nats, count)


def few_ended_warning(
    generated_ended: float | None, real_ended: float | None, decoder: str, max_len: int
) -> str | None:
    """The warning for generated captions that run on: takes the share of the generated
    (``decoder``) and of the real test captions that end within ``max_len`` (their
    ``ended_rate``). Returns the message when the generated ones end less than ``FEW_ENDED``
    times as often as the real ones, else None."""
    if generated_ended is None or not real_ended or generated_ended >= FEW_ENDED * real_ended:
        return None
    return (
        f"caption_model: {generated_ended:.0%} of the generated captions of the test posts "
        f"(decoder {decoder}) end within max_len ({max_len} characters), where "
        f"{real_ended:.0%} of the real ones do: the others run on to max_len"
        + (
            ". greedy and beam search end a caption only where ending is more probable than "
            "every character, which the model's most probable text may never reach: "
            "decoder sample ends captions as often as the model does"
            if decoder != "sample"
            else ""
        )
    )


def evaluate_model(
    model: keras.Model | NotTrained,
    examples: pd.DataFrame,
    vocab: CaptionVocabulary,
    generated_captions: pd.DataFrame,
    data_report: Mapping[str, Any],
    training_history: Mapping[str, Any],
    *,
    ngram_order: int,
    shuffled_image_repeats: int,
    seed: int,
    decoder: str,
    real_word_list_size: int,
    min_char_count: int,
    samples_in_table: int,
    min_training_captions: int,
    architecture: str,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The metrics of the model on the ``test`` examples, and a table of their real next to
    their generated captions (the first ``samples_in_table``: ``SAMPLE_COLUMNS``).

    Takes the model, the examples (``prepare_examples``), the vocabulary, the generated
    captions (``generate_caption_table``), the data report, the training history and the
    settings named. The metrics: test bits per character and perplexity, the UNK rate, the
    baselines (a Witten-Bell character ``ngram_order``-gram fitted on the training captions,
    and the network fed other posts' images, ``shuffled_image_repeats`` shuffles), the gain
    the image brings, the generated captions' measures (real-word rate from the
    ``real_word_list_size`` most frequent English words, hashtags, distinct n-grams, copies,
    BLEU, mean length and the share that end within ``max_len``) next to the real test
    captions', the training summary and the data report. They go to the active MLflow run,
    if any. Warns when the network loses to the n-gram, when more than ``MOSTLY_UNK`` of the
    test characters are UNK, when the generated captions end much less often than the real
    ones (:func:`few_ended_warning`), and when every generated caption is empty.

    When ``model`` is a :class:`NotTrained`, the metrics say ``trained: false`` and why
    (``not_trained_metrics``) and the table is empty.
    """
    if isinstance(model, NotTrained):
        reason = training_history.get("not_trained_reason") or model.reason
        empty = pd.DataFrame(columns=list(SAMPLE_COLUMNS))
        metrics = not_trained_metrics(
            reason,
            data_report,
            min_training_captions=min_training_captions,
            architecture=architecture,
        )
        return metrics, empty
    images, inputs, targets = split_arrays(examples, vocab, "test")
    train_captions = examples.loc[examples["split"] == "train", "caption"]
    test = examples[examples["split"] == "test"]

    nats, count = token_nats(model, images, inputs, targets) if len(test) else (0.0, 0)
    bpc = bits_per_character(nats, count) if count else None
    ngram = CharNgramModel(ngram_order, vocab.size).fit(vocab.encode(c) for c in train_captions)
    ngram_bpc = (
        ngram.bits_per_character(vocab.encode(c) for c in test["caption"]) if count else None
    )
    shuffled = _shuffled_bpc(model, images, inputs, targets, shuffled_image_repeats, seed)

    generated = test[["post_id", "caption"]].merge(generated_captions, on="post_id", how="left")
    generated["generated_caption"] = generated["generated_caption"].fillna("")
    word_list = english_words(real_word_list_size)
    generation = text_metrics(
        generated["generated_caption"].tolist(),
        generated["caption"].tolist(),
        train_captions,
        word_list,
        max_len=vocab.max_len,
    )
    reference = text_metrics(
        generated["caption"].tolist(),
        generated["caption"].tolist(),
        [],
        word_list,
        max_len=vocab.max_len,
    )
    metrics = {
        "trained": True,
        "not_trained_reason": None,
        "test": {
            "n_posts": len(test),
            "n_characters": count,
            "bpc": bpc,
            "perplexity": 2**bpc if bpc is not None else None,
            "unk_rate": float((targets == UNK_ID).sum() / max(count, 1)),
        },
        "baselines": {
            f"char_{ngram_order}gram_witten_bell_bpc": ngram_bpc,
            "shuffled_images_bpc": shuffled,
        },
        "image_gain_bpc": shuffled - bpc if shuffled is not None and bpc is not None else None,
        "network_minus_ngram_bpc": bpc - ngram_bpc if bpc is not None and ngram_bpc else None,
        "generation": {"decoder": decoder, **generation},
        "real_test_captions": {k: reference[k] for k in REFERENCE_METRICS},
        "training": {k: training_history.get(k) for k in TRAINING_KEYS},
        "data": data_report,
        "vocab_size": vocab.size,
        "architecture": architecture,
    }
    if bpc is not None and ngram_bpc is not None and bpc > ngram_bpc:
        logger.warning(
            "caption_model: the network (%.3f bpc) loses to the n-gram baseline (%.3f bpc)",
            bpc,
            ngram_bpc,
        )
    unk_rate = metrics["test"].get("unk_rate") or 0.0
    if unk_rate > MOSTLY_UNK:
        logger.warning(
            "caption_model: %.0f%% of the test characters are UNK (min_char_count=%s): the "
            "bpc measures little and compares only with runs of the same vocabulary",
            100 * unk_rate,
            min_char_count,
        )
    few_ended = few_ended_warning(
        generation["ended_rate"], reference["ended_rate"], decoder, vocab.max_len
    )
    if few_ended:
        logger.warning(few_ended)
    written = generated_captions["generated_caption"].fillna("").str.len() > 0
    if len(generated_captions) and not written.any():
        logger.warning("caption_model: every generated caption is empty")
    tracking.log_metrics(
        {
            "test": metrics["test"],
            "baselines": metrics["baselines"],
            "image_gain_bpc": metrics["image_gain_bpc"],
            "generation": generation,
            "real_test_captions": metrics["real_test_captions"],
        }
    )
    samples = generated.head(samples_in_table).rename(columns={"caption": "real_caption"})[
        list(SAMPLE_COLUMNS)
    ]
    return metrics, samples
