"""Nodes of the caption_model pipeline: split, vocabulary, training, generation, evaluation."""

import hashlib
import json
import logging
import math
import shutil
import time
from collections import Counter
from pathlib import Path
from textwrap import fill
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from insta_kedro.captioning import (
    ARCHITECTURES,
    UNK_ID,
    CaptionVocabulary,
    CharNgramModel,
    MaskedSparseCategoricalCrossentropy,
    NotTrained,
    TrainingCheckpoint,
    batches_per_epoch,
    bits_per_character,
    build_caption_model,
    build_packed_training_network,
    build_step_model,
    build_vocabulary,
    caption_batches,
    check_decoding_settings,
    decode_captions,
    encode_captions,
    english_words,
    not_trained_reason,
    text_metrics,
    token_nats,
    uses_fused_lstm,
)
from insta_kedro.captioning import tracking as caption_tracking

logger = logging.getLogger(__name__)

MOSTLY_UNK = 0.5  # above this share of UNK test characters, the run warns

SPLITS = ("train", "val", "test")
AUTO_OR_BOOL = ("auto", True, False)  # packed_training, fused_lstm
UNCAPTIONED = "uncaptioned"
GENERATED_COLUMNS = ("post_id", "generated_caption", "mean_log_prob", "decoder")
SAMPLE_COLUMNS = ("post_id", "real_caption", "generated_caption", "mean_log_prob", "decoder")
# caption_data_report counts logged to MLflow as data.<name>, trained or not
DATA_COUNTS = ("n_posts", "n_captioned", "n_with_image_feature", "n_captioned_with_image_feature")


# ------------------------------------------------------------------------------ data
def _split_rank(post_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{post_id}".encode()).hexdigest()


def assign_splits(post_ids: list[str], val_fraction: float, test_fraction: float, seed: int):
    """Train/val/test per post, from a seeded hash of its id (the same post, the same split).

    Posts are ordered by the hash; the first ``test_fraction`` go to test, the next
    ``val_fraction`` to val (each at least one post when there are three or more).
    """
    order = sorted(post_ids, key=lambda p: _split_rank(p, seed))
    n = len(order)
    n_test = max(round(n * test_fraction), 1 if n >= 3 and test_fraction > 0 else 0)
    n_val = max(round(n * val_fraction), 1 if n >= 3 and val_fraction > 0 else 0)
    split = {p: "test" for p in order[:n_test]}
    split |= {p: "val" for p in order[n_test : n_test + n_val]}
    split |= {p: "train" for p in order[n_test + n_val :]}
    return split


def encoder_weights(encoder: str) -> str:
    """``random``, ``imagenet`` or ``other`` from an encoder name like ``vgg16-fc2-random``."""
    for weights in ("random", "imagenet"):
        if weights in str(encoder).split("-"):
            return weights
    return "other"


def check_caption_params(params: dict[str, Any]) -> None:
    """``ValueError`` naming the first ``caption_model.*`` setting out of range, so a bad
    setting stops the run before training, not after it."""
    if params["architecture"] not in ARCHITECTURES:
        raise ValueError(
            f"caption_model.architecture must be one of {ARCHITECTURES}, "
            f"got {params['architecture']!r}"
        )
    for name in (
        "epochs",
        "batch_size",
        "max_len",
        "min_char_count",
        "lstm_units",
        "min_training_captions",
    ):
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


def has_caption(frame: pd.DataFrame) -> pd.Series:
    """Whether each row (``has_caption``, ``caption``) has a caption that is not empty."""
    return frame["has_caption"].fillna(False).astype(bool) & (
        frame["caption"].fillna("").astype(str).str.len() > 0
    )


def prepare_caption_examples(
    posts: pd.DataFrame,
    image_features: pd.DataFrame,
    params: dict[str, Any],
    image_features_params: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Join each post to its image feature and give captioned posts a train/val/test split.

    Returns ``caption_examples`` (post_id, profile, caption, split, feature) for every post
    with a usable feature (split ``uncaptioned`` when it has no caption: generation only),
    and ``caption_data_report``: the posts, those with a caption, with a usable image feature
    and with both (``n_…``), the split sizes, every post left out with its reason
    (``skipped``) and the image features' errors by message (``image_feature_errors``).
    Too few captioned photos is no error here: ``train_caption_model`` then does not train.
    ``ValueError`` for a bad setting, or when ``image_features`` is empty (not made yet).
    """
    check_caption_params(params)
    if image_features.empty and not posts.empty:
        raise ValueError(
            "caption_model needs image features and 'image_features' is empty or missing: "
            "run `kedro run --pipelines=image_features` first."
        )
    skipped: Counter[str] = Counter()
    features = image_features.copy()
    duplicated = features["post_id"].duplicated(keep="first")
    skipped["duplicate_feature_row"] += int(duplicated.sum())
    features = features[~duplicated]
    failed = features["error"].notna() | features["feature"].isna()
    features = features.assign(
        dim=[0 if bad else len(f) for bad, f in zip(failed, features["feature"], strict=True)]
    )
    feature_dim = int(features.loc[~failed, "dim"].mode().iloc[0]) if (~failed).any() else 0

    merged = posts[["post_id", "profile", "caption", "has_caption"]].merge(
        features[["post_id", "feature", "encoder", "error", "dim"]],
        on="post_id",
        how="left",
        indicator=True,
    )
    no_feature = merged["_merge"] == "left_only"
    with_error = ~no_feature & (merged["error"].notna() | merged["feature"].isna())
    wrong_dim = ~no_feature & ~with_error & (merged["dim"] != feature_dim)
    skipped["no_image_feature"] += int(no_feature.sum())
    skipped["image_feature_error"] += int(with_error.sum())
    skipped["feature_dim_mismatch"] += int(wrong_dim.sum())
    skipped["feature_without_post"] += int((~features["post_id"].isin(posts["post_id"])).sum())
    errors = merged.loc[with_error, "error"].fillna("no feature").astype(str).value_counts()
    usable = merged[~(no_feature | with_error | wrong_dim)].copy()

    usable["caption"] = usable["caption"].fillna("").astype(str)
    captioned = has_caption(usable)
    split = assign_splits(
        usable.loc[captioned, "post_id"].tolist(),
        params["split"]["val_fraction"],
        params["split"]["test_fraction"],
        params["seed"],
    )
    usable["split"] = usable["post_id"].map(split).fillna(UNCAPTIONED)
    usable["feature"] = [np.asarray(f, dtype=np.float32) for f in usable["feature"]]
    examples = usable[["post_id", "profile", "caption", "split", "feature"]].reset_index(drop=True)

    encoders = sorted(usable["encoder"].dropna().unique().tolist())
    weights = sorted({encoder_weights(e) for e in encoders})
    fingerprint = caption_tracking.data_fingerprint(examples["post_id"])
    report = {
        "n_posts": len(posts),
        "n_captioned": int(has_caption(posts).sum()),
        "n_with_image_feature": len(usable),
        "n_captioned_with_image_feature": int(captioned.sum()),
        "n_examples": len(examples),
        "split_sizes": {s: int((examples["split"] == s).sum()) for s in (*SPLITS, UNCAPTIONED)},
        "skipped": dict(skipped),
        "image_feature_errors": {str(k): int(v) for k, v in errors.items()},
        "feature_dim": feature_dim,
        "encoders": encoders,
        "encoder_weights": ",".join(weights),
        "image_features_weights_param": str(image_features_params.get("weights")),
        "data_fingerprint": fingerprint,
    }
    if skipped.total():
        logger.warning("caption_model: posts left out: %s", dict(skipped))
    if "random" in weights:
        logger.warning("caption_model: the image features come from RANDOM encoder weights")
    caption_tracking.set_tags(
        {
            "caption_model.encoder": ",".join(encoders),
            "caption_model.encoder_weights": report["encoder_weights"],
            "caption_model.data.n_posts": fingerprint["n_posts"],
            "caption_model.data.post_ids_sha256": fingerprint["post_ids_sha256"],
        }
    )
    return examples, report


def build_caption_vocab(caption_examples: pd.DataFrame, params: dict[str, Any]) -> dict:
    """Character vocabulary of the training captions only (``caption_vocab``)."""
    train = caption_examples.loc[caption_examples["split"] == "train", "caption"]
    vocab = build_vocabulary(train, params["min_char_count"], params["max_len"])
    return vocab.to_dict()


# -------------------------------------------------------------------------- training
def _arrays(examples: pd.DataFrame, vocab: CaptionVocabulary, split: str):
    part = examples[examples["split"] == split]
    images = np.stack(part["feature"].to_list()) if len(part) else np.zeros((0, 0), np.float32)
    inputs, targets = encode_captions(vocab, part["caption"])
    return images.astype(np.float32), inputs, targets


def _compiled(network: keras.Model, params: dict[str, Any]) -> keras.Model:
    """``network`` compiled with Adam at ``learning_rate`` and the masked loss."""
    network.compile(
        optimizer=keras.optimizers.Adam(params["learning_rate"]),
        loss=MaskedSparseCategoricalCrossentropy(),
    )
    return network


def new_caption_model(vocab: CaptionVocabulary, feature_dim: int, params: dict[str, Any]):
    """The configured network, compiled with Adam and the masked loss."""
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


def packs_captions(params: dict[str, Any]) -> bool:
    """Whether training packs captions into rows: ``packed_training`` true, or ``auto`` (the
    default) without a GPU. On a GPU the padded network's LSTM runs on cuDNN, which a packed
    row's custom cell cannot."""
    setting = params.get("packed_training", "auto")
    if setting == "auto":
        return not tf.config.list_physical_devices("GPU")
    return bool(setting)


def training_network(model: keras.Model, params: dict[str, Any]) -> keras.Model:
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


def fit_caption_model(
    caption_examples: pd.DataFrame,
    vocab: CaptionVocabulary,
    params: dict[str, Any],
    extra_callbacks: tuple[keras.callbacks.Callback, ...] = (),
) -> tuple[keras.Model, dict[str, Any]]:
    """Train with tf.data, Adam and early stopping (best weights kept), resumable.

    On a CPU the batches are packed (``packed_training``): the same captions per update and
    the same loss, with no LSTM step spent on padding.

    After each epoch the weights, Adam's state and the epoch logs go to ``checkpoint_dir``
    (``TrainingCheckpoint``); a run interrupted there starts again after the last finished
    epoch. The folder is keyed by a fingerprint of the data and settings and removed once
    training ends.
    """
    keras.utils.set_random_seed(params["seed"])
    train = _arrays(caption_examples, vocab, "train")
    val = _arrays(caption_examples, vocab, "val")
    if len(train[1]) == 0:
        raise ValueError("caption_model: no training caption (see the split report)")
    feature_dim = train[0].shape[1]
    model = new_caption_model(vocab, feature_dim, params)
    network = training_network(model, params)
    packed = network is not model

    checkpoint_dir = Path(params["checkpoint_dir"])
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                {k: v for k, v in params.items() if k != "checkpoint_dir"},
                packed,
                vocab.to_dict(),
                sorted(caption_examples.loc[caption_examples["split"] == "train", "post_id"]),
            ],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    fingerprint_file = checkpoint_dir / "fingerprint.txt"
    if checkpoint_dir.exists() and (
        not fingerprint_file.exists() or fingerprint_file.read_text() != fingerprint
    ):
        logger.info(
            "caption_model: checkpoint of other data/settings in %s, removed", checkpoint_dir
        )
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    fingerprint_file.write_text(fingerprint)

    has_val = len(val[1]) > 0
    monitor = "val_loss" if has_val else "loss"
    checkpoint = TrainingCheckpoint(checkpoint_dir / "training.npz", monitor)
    initial_epoch = checkpoint.restore(network)
    if initial_epoch:
        logger.info("caption_model: resuming after epoch %d", initial_epoch)
        # this run's metric history starts with the epochs the interrupted run trained
        caption_tracking.log_epoch_history(checkpoint.epochs)
        caption_tracking.set_tags({"caption_model.resumed_at_epoch": initial_epoch})
    callbacks = [
        caption_tracking.EpochMetricsLogger(),  # first: it adds val_bpc to the logs
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
    network.fit(
        train_batches,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_batches,
        validation_steps=batches_per_epoch(len(val[1]), batch_size, shuffled=False) or None,
        epochs=params["epochs"],
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=params.get("verbose", 2),
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(checkpoint_dir, ignore_errors=True)

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
        "train_chars_per_second": train_chars * trained_epochs / seconds if seconds else None,
        "batch_size": batch_size,
        "packed": packed,
        "fused_lstm": uses_fused_lstm(network),
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
    }
    return model, summary


def not_trained_history(reason: str) -> dict[str, Any]:
    """``caption_training_history`` of a run that did not train: no epoch, and why."""
    return {
        "trained": False,
        "not_trained_reason": reason,
        "epochs": {k: [] for k in ("loss", "val_loss", "val_bpc")},
        "epochs_run": 0,
    }


def train_caption_model(
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    caption_data_report: dict[str, Any],
    params: dict[str, Any],
) -> tuple[keras.Model | NotTrained, dict[str, Any]]:
    """Node: the trained network (``caption_model``) and its training history.

    With fewer than ``min_training_captions`` captioned posts with a usable image feature
    (``caption_data_report``), it does not train: the model is a :class:`NotTrained` with
    the reason, the history says ``trained: false``, and the MLflow run is tagged
    ``caption_model.trained`` / ``caption_model.not_trained_reason``.
    """
    caption_tracking.log_metrics(
        {k: caption_data_report[k] for k in DATA_COUNTS if k in caption_data_report},
        prefix="data.",
    )
    reason = not_trained_reason(caption_data_report, params["min_training_captions"])
    if reason is not None:
        logger.warning(
            "caption_model: NOT TRAINED: %s. generated_captions is empty, so text_features, "
            "fusion and clustering go on without generated captions; caption_metrics says why.",
            reason,
        )
        caption_tracking.set_tags(
            {"caption_model.trained": False, "caption_model.not_trained_reason": reason}
        )
        return NotTrained(reason), not_trained_history(reason)
    model, summary = fit_caption_model(
        caption_examples, CaptionVocabulary.from_dict(caption_vocab), params
    )
    summary = {"trained": True, "not_trained_reason": None, **summary}
    caption_tracking.set_tags(
        {
            "caption_model.trained": True,
            "caption_model.device": summary["device"],
            "caption_model.packed": summary["packed"],
            "caption_model.fused_lstm": summary["fused_lstm"],
        }
    )
    caption_tracking.log_metrics(
        {k: summary[k] for k in ("train_seconds", "train_chars_per_second", "best_epoch")},
        prefix="train.",
    )
    return model, summary


def plot_loss_curve(caption_training_history: dict[str, Any]):
    """Training and validation loss per epoch, in bits per character (a matplotlib figure);
    for a run that did not train, a figure that says so and why."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = caption_training_history["epochs"]
    figure, axes = plt.subplots(figsize=(6, 4))
    if caption_training_history.get("trained") is False:
        reason = caption_training_history.get("not_trained_reason") or ""
        axes.text(0.5, 0.5, "not trained:\n" + fill(reason, 60), ha="center", va="center")
        axes.set_axis_off()
        axes.set_title("caption model loss")
        plt.close(figure)
        return figure
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        values = [v / math.log(2) for v in epochs.get(key, []) if v is not None]
        if values:
            axes.plot(range(1, len(values) + 1), values, marker="o", label=label)
    best = caption_training_history.get("best_epoch")
    if best and best > 0:
        axes.axvline(best, color="grey", linestyle=":", label=f"best epoch {best}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("bits per character")
    axes.set_title("caption model loss")
    axes.legend()
    figure.tight_layout()
    plt.close(figure)
    return figure


# ------------------------------------------------------------------------ generation
def _decode(model: keras.Model, images: np.ndarray, vocab: CaptionVocabulary, params, decoder):
    step_model = build_step_model(model)
    results = decode_captions(
        step_model,
        images,
        vocab.max_len,
        decoder,
        temperature=params["temperature"],
        top_p=params["top_p"],
        beam_width=params["beam_width"],
        seed=params["seed"],
        batch_size=params["decode_batch_size"],
    )
    return [vocab.decode(r.tokens) for r in results], [r.mean_log_prob for r in results]


def generate_captions(
    caption_model: keras.Model | NotTrained,
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    params: dict[str, Any],
) -> pd.DataFrame:
    """Node: a generated caption for every post with an image feature (``post_id``,
    ``generated_caption``, ``mean_log_prob``, ``decoder``); no row when the model was not
    trained (:class:`NotTrained`)."""
    vocab = CaptionVocabulary.from_dict(caption_vocab)
    decoder = params["decoder"]
    if isinstance(caption_model, NotTrained):
        caption_examples = caption_examples.iloc[:0]
    if caption_examples.empty:
        texts, log_probs = [], []
    else:
        images = np.stack(caption_examples["feature"].to_list())
        texts, log_probs = _decode(caption_model, images, vocab, params, decoder)
    return pd.DataFrame(
        {
            "post_id": caption_examples["post_id"].astype(str).to_numpy(),
            "generated_caption": pd.Series(texts, dtype=str).to_numpy(),
            "mean_log_prob": pd.Series(log_probs, dtype="float64").to_numpy(),
            "decoder": pd.Series([decoder] * len(texts), dtype=str).to_numpy(),
        },
        columns=list(GENERATED_COLUMNS),
    )


# ------------------------------------------------------------------------ evaluation
def shuffled_order(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random order of ``n`` items in which none keeps its place (one random cycle through
    all of them), so every caption is scored with another post's image."""
    cycle = rng.permutation(n)
    order = np.empty(n, dtype=np.int64)
    order[cycle] = np.roll(cycle, -1)
    return order


def _shuffled_bpc(model, images, inputs, targets, repeats: int, seed: int) -> float | None:
    if len(images) < 2:
        return None
    rng = np.random.default_rng(seed)
    nats, count = 0.0, 0
    for _ in range(repeats):
        n, c = token_nats(model, images[shuffled_order(len(images), rng)], inputs, targets)
        nats, count = nats + n, count + c
    return bits_per_character(nats, count)


def not_trained_metrics(
    reason: str, caption_data_report: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """``caption_metrics`` of a run that did not train: ``trained: false``, the reason, the
    threshold and the data counts (``data``: posts, captioned, with an image feature, left
    out by reason)."""
    return {
        "trained": False,
        "not_trained_reason": reason,
        "min_training_captions": params["min_training_captions"],
        "data": caption_data_report,
        "architecture": params["architecture"],
    }


def evaluate_caption_model(
    caption_model: keras.Model | NotTrained,
    caption_examples: pd.DataFrame,
    caption_vocab: dict,
    generated_captions: pd.DataFrame,
    caption_data_report: dict[str, Any],
    caption_training_history: dict[str, Any],
    params: dict[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Node: ``caption_metrics`` (test BPC next to the baselines, generation metrics, the
    training summary and the data report) and ``caption_samples`` (real next to generated
    captions of test posts). When the model was not trained (:class:`NotTrained`), the
    metrics say ``trained: false`` and why (:func:`not_trained_metrics`) and the sample table
    is empty."""
    if isinstance(caption_model, NotTrained):
        reason = caption_training_history.get("not_trained_reason") or caption_model.reason
        empty = pd.DataFrame(columns=list(SAMPLE_COLUMNS))
        return not_trained_metrics(reason, caption_data_report, params), empty
    vocab = CaptionVocabulary.from_dict(caption_vocab)
    images, inputs, targets = _arrays(caption_examples, vocab, "test")
    train_captions = caption_examples.loc[caption_examples["split"] == "train", "caption"]
    test = caption_examples[caption_examples["split"] == "test"]

    nats, count = token_nats(caption_model, images, inputs, targets) if len(test) else (0.0, 0)
    bpc = bits_per_character(nats, count) if count else None
    ngram = CharNgramModel(params["ngram_order"], vocab.size).fit(
        vocab.encode(c) for c in train_captions
    )
    ngram_bpc = (
        ngram.bits_per_character(vocab.encode(c) for c in test["caption"]) if count else None
    )
    shuffled = _shuffled_bpc(
        caption_model, images, inputs, targets, params["shuffled_image_repeats"], params["seed"]
    )

    generated = test[["post_id", "caption"]].merge(generated_captions, on="post_id", how="left")
    generated["generated_caption"] = generated["generated_caption"].fillna("")
    word_list = english_words(params["real_word_list_size"])
    generation = text_metrics(
        generated["generated_caption"].tolist(),
        generated["caption"].tolist(),
        train_captions,
        word_list,
    )
    reference = text_metrics(
        generated["caption"].tolist(), generated["caption"].tolist(), [], word_list
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
            f"char_{params['ngram_order']}gram_witten_bell_bpc": ngram_bpc,
            "shuffled_images_bpc": shuffled,
        },
        "image_gain_bpc": shuffled - bpc if shuffled is not None and bpc is not None else None,
        "network_minus_ngram_bpc": bpc - ngram_bpc if bpc is not None and ngram_bpc else None,
        "generation": {"decoder": params["decoder"], **generation},
        "real_test_captions": {
            k: reference[k] for k in ("real_word_rate", "hashtag_rate", "distinct_1", "distinct_2")
        },
        "training": {
            k: caption_training_history.get(k)
            for k in (
                "epochs_run",
                "resumed_at_epoch",
                "best_epoch",
                "best_val_bpc",
                "train_seconds",
                "device",
                "packed",
                "fused_lstm",
            )
        },
        "data": caption_data_report,
        "vocab_size": vocab.size,
        "architecture": params["architecture"],
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
            params["min_char_count"],
        )
    written = generated_captions["generated_caption"].fillna("").str.len() > 0
    if len(generated_captions) and not written.any():
        logger.warning("caption_model: every generated caption is empty")
    caption_tracking.log_metrics(
        {
            "test": metrics["test"],
            "baselines": metrics["baselines"],
            "image_gain_bpc": metrics["image_gain_bpc"],
            "generation": generation,
        }
    )
    samples = generated.head(params["samples_in_table"]).rename(
        columns={"caption": "real_caption"}
    )[list(SAMPLE_COLUMNS)]
    return metrics, samples
