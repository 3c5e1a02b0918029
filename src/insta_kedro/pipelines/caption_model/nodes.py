"""Nodes of the caption_model pipeline: split, vocabulary, training, loss curve, generation,
evaluation. The work is done by ``insta_kedro.captioning``; a node unpacks its parameters.

Each node takes ``params:caption_model`` as a ``captioning.CaptionModelParams`` (and the first
``params:image_features`` as a ``vision.ImageFeaturesParams``), which Kedro validates before
any node runs: a bad setting stops the run with its name before training. The domain gets
plain values, or the settings' dict (``model_dump()``).

A trained model is a ``keras.Model`` and an untrained one a ``captioning.NotTrained``. Their
annotations say ``Any``: Kedro resolves every node's type hints (``typing.get_type_hints``)
when it validates parameters, and a hint naming keras would import it, or fail without it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import captioning, engine, vision


def prepare_caption_examples(
    posts: pd.DataFrame,
    image_features: engine.Table,
    params: captioning.CaptionModelParams,
    image_features_params: vision.ImageFeaturesParams,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Join each post to its image feature and split the captioned ones:
    ``caption_examples`` and ``caption_data_report`` (``captioning.prepare_examples``)."""
    return captioning.prepare_examples(
        posts,
        image_features,
        val_fraction=params.split.val_fraction,
        test_fraction=params.split.test_fraction,
        seed=params.seed,
        image_features_weights=image_features_params.weights,
    )


def build_caption_vocab(
    caption_examples: pd.DataFrame, params: captioning.CaptionModelParams
) -> dict:
    """Character vocabulary of the training captions only (``caption_vocab``, as a dict)."""
    vocab = captioning.training_vocabulary(caption_examples, params.min_char_count, params.max_len)
    return vocab.to_dict()


def train_caption_model(
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    caption_data_report: dict[str, Any],
    params: captioning.CaptionModelParams,
) -> tuple[Any, dict[str, Any]]:
    """The trained network (``caption_model``) and its training history, or a ``NotTrained``
    and why, with too few captioned photos (``captioning.train_if_enough_data``, given the
    settings' dict: the training checkpoint is keyed by it)."""
    vocab = captioning.CaptionVocabulary.from_dict(caption_vocab)
    return captioning.train_if_enough_data(
        caption_examples, vocab, caption_data_report, params.model_dump()
    )


def plot_loss_curve(caption_training_history: dict[str, Any], caption_data_report: dict[str, Any]):
    """Training and validation loss per epoch, in bits per character (a matplotlib figure),
    marked when the image features had random weights (``caption_data_report``'s
    ``encoders``); for a run that did not train, a figure that says so and why."""
    return captioning.loss_curve_figure(
        caption_training_history, caption_data_report.get("encoders", [])
    )


def generate_captions(
    caption_model: Any,
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    params: captioning.CaptionModelParams,
) -> pd.DataFrame:
    """A generated caption for every post with an image feature (``post_id``,
    ``generated_caption``, ``mean_log_prob``, ``decoder``); no row when the model was not
    trained (``captioning.generate_caption_table``)."""
    return captioning.generate_caption_table(
        caption_model,
        caption_examples,
        captioning.CaptionVocabulary.from_dict(caption_vocab),
        params.decoder,
        temperature=params.temperature,
        top_p=params.top_p,
        beam_width=params.beam_width,
        seed=params.seed,
        batch_size=params.decode_batch_size,
        no_repeat_ngram_size=params.no_repeat_ngram_size,
    )


def evaluate_caption_model(
    caption_model: Any,
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    generated_captions: pd.DataFrame,
    caption_data_report: dict[str, Any],
    caption_training_history: dict[str, Any],
    params: captioning.CaptionModelParams,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """``caption_metrics`` (test BPC next to the baselines, generation metrics, the training
    summary and the data report) and ``caption_samples`` (real next to generated captions of
    test posts); when the model was not trained, metrics that say why and no sample
    (``captioning.evaluate_model``)."""
    return captioning.evaluate_model(
        caption_model,
        caption_examples,
        captioning.CaptionVocabulary.from_dict(caption_vocab),
        generated_captions,
        caption_data_report,
        caption_training_history,
        ngram_order=params.ngram_order,
        shuffled_image_repeats=params.shuffled_image_repeats,
        seed=params.seed,
        decoder=params.decoder,
        real_word_list_size=params.real_word_list_size,
        min_char_count=params.min_char_count,
        samples_in_table=params.samples_in_table,
        min_training_captions=params.min_training_captions,
        architecture=params.architecture,
    )
