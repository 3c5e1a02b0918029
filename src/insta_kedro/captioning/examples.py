"""The caption model's examples: each post joined to its image feature, with a train/val/test
split drawn from a seeded hash of its id, and what the network reads of a split.

A post is an example when its image feature is usable (no error, the common dimension). Its
split is ``train``, ``val`` or ``test`` when it has a caption, ``uncaptioned`` otherwise (a
caption is generated for it, nothing is learned from it). The vocabulary comes from the
training captions only.
"""

import hashlib
import logging
from collections import Counter

import numpy as np
import pandas as pd

from insta_kedro.captioning import tracking
from insta_kedro.captioning.vocabulary import CaptionVocabulary, build_vocabulary, encode_captions
from insta_kedro.engine.tables import Table, read_columns, row_count

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
UNCAPTIONED = "uncaptioned"


def _split_rank(post_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{post_id}".encode()).hexdigest()


def assign_splits(post_ids: list[str], val_fraction: float, test_fraction: float, seed: int):
    """Train/val/test per post, from a seeded hash of its id (the same post, the same split).

    Posts are ordered by the hash; the first ``test_fraction`` go to test, the next
    ``val_fraction`` to val (each at least one post when there are three or more).
    Returns a dict ``post_id -> split``.
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


def has_caption(frame: pd.DataFrame) -> pd.Series:
    """Whether each row (``has_caption``, ``caption``) has a caption that is not empty."""
    return frame["has_caption"].fillna(False).astype(bool) & (
        frame["caption"].fillna("").astype(str).str.len() > 0
    )


def prepare_examples(
    posts: pd.DataFrame,
    image_features: Table,
    *,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    image_features_weights: str | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Join each post to its image feature and give captioned posts a train/val/test split.

    Takes ``posts`` (post_id, profile, caption, has_caption), ``image_features`` (post_id,
    feature, encoder, error; a frame, or a lazy table, read whole here), the split fractions
    and seed (:func:`assign_splits`), and the image features' ``weights`` setting (recorded
    in the report as given).

    Returns ``examples`` (post_id, profile, caption, split, feature, image_encoder: the
    feature's ``encoder``) for every post with a usable feature (split ``uncaptioned`` when
    it has no caption: generation only), and a report: the posts, those with a caption,
    with a usable image feature and with both (``n_…``), the split sizes, every post left
    out with its reason (``skipped``), the image features' errors by message
    (``image_feature_errors``), the feature dimension, the encoders and their weights, and
    a fingerprint of the examples' post ids. The active MLflow run, if any, is tagged with
    the encoder, its weights and that fingerprint.
    Too few captioned photos is no error here (see ``not_trained_reason``).
    ``ValueError`` when ``image_features`` is empty (not made yet) and ``posts`` is not.
    """
    if row_count(image_features) == 0 and not posts.empty:
        raise ValueError(
            "caption_model needs image features and 'image_features' is empty or missing: "
            "run `kedro run --pipelines=image_features` first."
        )
    skipped: Counter[str] = Counter()
    features = read_columns(image_features, ["post_id", "feature", "encoder", "error"])
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
        usable.loc[captioned, "post_id"].tolist(), val_fraction, test_fraction, seed
    )
    usable["split"] = usable["post_id"].map(split).fillna(UNCAPTIONED)
    usable["feature"] = [np.asarray(f, dtype=np.float32) for f in usable["feature"]]
    examples = (
        usable[["post_id", "profile", "caption", "split", "feature", "encoder"]]
        .rename(columns={"encoder": "image_encoder"})
        .reset_index(drop=True)
    )

    encoders = sorted(usable["encoder"].dropna().unique().tolist())
    weights = sorted({encoder_weights(e) for e in encoders})
    fingerprint = tracking.data_fingerprint(examples["post_id"])
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
        "image_features_weights_param": str(image_features_weights),
        "data_fingerprint": fingerprint,
    }
    if skipped.total():
        logger.warning("caption_model: posts left out: %s", dict(skipped))
    if "random" in weights:
        logger.warning("caption_model: the image features come from RANDOM encoder weights")
    tracking.set_tags(
        {
            "caption_model.encoder": ",".join(encoders),
            "caption_model.encoder_weights": report["encoder_weights"],
            "caption_model.data.n_posts": fingerprint["n_posts"],
            "caption_model.data.post_ids_sha256": fingerprint["post_ids_sha256"],
        }
    )
    return examples, report


def training_vocabulary(
    examples: pd.DataFrame, min_char_count: int, max_len: int
) -> CaptionVocabulary:
    """The character vocabulary of the ``train`` captions of ``examples`` only (characters
    seen fewer than ``min_char_count`` times become UNK; captions cut at ``max_len``)."""
    train = examples.loc[examples["split"] == "train", "caption"]
    return build_vocabulary(train, min_char_count, max_len)


def split_arrays(
    examples: pd.DataFrame, vocab: CaptionVocabulary, split: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's arrays of one split of ``examples``: image features ``(n, dim)`` float32
    (``(0, 0)`` when the split is empty), and the encoded captions' inputs and targets
    (``encode_captions``)."""
    part = examples[examples["split"] == split]
    images = np.stack(part["feature"].to_list()) if len(part) else np.zeros((0, 0), np.float32)
    inputs, targets = encode_captions(vocab, part["caption"])
    return images.astype(np.float32), inputs, targets
