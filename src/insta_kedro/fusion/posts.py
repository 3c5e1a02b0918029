"""Fusing posts' feature blocks, shared by the fusion pipeline and by new posts.

Blocks and their per-post confidence (docs/features.md):

- ``image``: VGG16 feature reduced by PCA; × top-1 ImageNet probability (or
  ``image_confidence_without_labels`` when there are no labels, i.e. random weights).
- ``own_text``: the post's own caption features and topics; × presence (0 without caption).
- ``gen_text``: the generated caption's features and topics; × exp(mean_log_prob).
- ``interests``: the category shares from own caption, generated caption and ImageNet labels,
  each source weighted by its confidence; × the evidence (capped at 1).

``fuse_posts`` fits (PCA, block scalers) and fuses; with a fitted ``FusionModel`` it only
fuses, so a new post (``insta_kedro.personas.assignment``) gets the training layout.
``build_post_features_and_model`` also gives the model what describes a new caption.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from insta_kedro.engine import bounded_rows
from insta_kedro.engine.tables import (
    Table,
    column_names,
    list_lengths,
    list_rows,
    read_columns,
    row_batches,
    row_count,
)
from insta_kedro.fusion.model import (
    FeatureBlock,
    FusionModel,
    fit_block_scalers,
    fit_pca,
    fuse_blocks,
)
from insta_kedro.text import image_label_interests, shares

if TYPE_CHECKING:  # annotations only: importing them loads the text models' scikit-learn
    from insta_kedro.text import CaptionTopicModel, InterestClassifier

logger = logging.getLogger(__name__)

BLOCKS = ("image", "own_text", "gen_text", "interests")
TEXT_NOT_IN_BLOCK = ("present", "confidence", "interest_")
STACK_BLOCK = 65_536
"""Rows of the image features read, and vectors reduced by the image PCA, at a time."""
NO_TEXT_FEATURES = (
    "no post has a row in post_text_features (made from other posts: run `kedro run "
    "--pipelines=text_features` for these)"
)
"""Why the caption blocks are dropped when ``post_text_features`` has none of the posts."""


def interest_categories(post_text_features: pd.DataFrame) -> list[str]:
    """Categories of the lexicon, read from the ``own_interest_<category>`` columns."""
    return [
        column.removeprefix("own_interest_")
        for column in post_text_features
        if column.startswith("own_interest_") and column != "own_interest_weight"
    ]


def text_block_columns(post_text_features: pd.DataFrame, prefix: str) -> list[str]:
    """Feature columns of a caption block: basic features and topics, not interests."""
    return [
        column
        for column in post_text_features
        if column.startswith(f"{prefix}_")
        and not column.removeprefix(f"{prefix}_").startswith(TEXT_NOT_IN_BLOCK)
    ]


def text_rows(post_ids: pd.Series, post_text_features: pd.DataFrame) -> pd.DataFrame:
    """``post_text_features``' rows in the order of ``post_ids`` (NaN for a post without any;
    the first row of a repeated post): the table itself, not a copy, when it is in that order
    already, as text_features writes it. Read it by position (``to_numpy``)."""
    ids = post_text_features["post_id"].to_numpy()
    if len(ids) == len(post_ids) and (ids == post_ids.to_numpy()).all():
        return post_text_features
    table = post_text_features[~post_text_features["post_id"].duplicated()]
    return table.set_index("post_id").reindex(post_ids.to_numpy()).reset_index()


@dataclass
class ImageRows:
    """Where the usable image feature vectors are: ``source``, the row of ``table`` of each
    post of ``mask`` (the posts that have one), in posts order; ``width`` numbers each."""

    table: Table
    source: np.ndarray
    mask: np.ndarray
    width: int

    def read(self, which: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(positions, vectors)`` of the posts with a vector (``which``: their positions
        among them, e.g. a sample; None: all), block by block, as one pass over ``table``:
        each block's vectors are a float32 matrix, one row per position."""
        which = np.arange(len(self.source)) if which is None else np.asarray(which)
        wanted = self.source[which]
        order = np.argsort(wanted, kind="stable")
        wanted = wanted[order]
        for start, batch in row_batches(self.table, ["feature"], STACK_BLOCK):
            first, last = np.searchsorted(wanted, [start, start + batch.num_rows])
            if first == last:
                continue
            local = wanted[first:last] - start
            yield which[order[first:last]], list_rows(batch.column("feature"), local, self.width)

    def encoders(self) -> np.ndarray:
        """The ``encoder`` of each post's vector (``vgg16-fc2-random``, ...), in posts order:
        None for a post without a vector, and for all in a table without that column."""
        names = np.full(len(self.mask), None, dtype=object)
        if len(self.source) and "encoder" in column_names(self.table):
            column = read_columns(self.table, ["encoder"])["encoder"].to_numpy(dtype=object)
            names[self.mask] = column[self.source]
        return names


def image_feature_rows(
    post_ids: pd.Series, image_features: Table
) -> tuple[ImageRows, dict[str, Any]]:
    """Which row of ``image_features`` gives each post its vector (:class:`ImageRows`), and
    counts; rows failing checks (an error, an empty or odd-sized vector, a repeated or
    unknown post: the first row of a post counts) are counted.

    Only the post ids, errors and vector lengths are read here, batch by batch: the vectors
    stay in the table until :meth:`ImageRows.read` reads them.
    """
    counts = {
        "rows": row_count(image_features),
        "with_error": 0,
        "empty_or_wrong_size": 0,
        "duplicate_post": 0,
        "unknown_post": 0,
        "used": 0,
    }
    nothing = ImageRows(image_features, np.zeros(0, np.int64), np.zeros(len(post_ids), bool), 0)
    if counts["rows"] == 0:
        return nothing, counts
    ids, failed, lengths = [], [], []
    has_error = "error" in column_names(image_features)
    for _, batch in row_batches(image_features, ["post_id", "error", "feature"], STACK_BLOCK):
        ids.append(batch.column("post_id").to_numpy(zero_copy_only=False))
        failed.append(
            batch.column("error").is_valid().to_numpy(zero_copy_only=False)
            if has_error
            else np.zeros(batch.num_rows, bool)
        )
        lengths.append(list_lengths(batch.column("feature")))
    rows = pd.DataFrame({"post_id": np.concatenate(ids), "size": np.concatenate(lengths)})
    errors = np.concatenate(failed)
    counts["with_error"] = int(errors.sum())
    rows = rows[~errors]
    sizes = rows["size"]
    size = int(sizes[sizes > 0].mode().iloc[0]) if (sizes > 0).any() else 0
    good = sizes == size
    counts["empty_or_wrong_size"] = int((~good).sum())
    rows = rows[good & (size > 0)]
    duplicated = rows["post_id"].duplicated()
    counts["duplicate_post"] = int(duplicated.sum())
    rows = rows[~duplicated]
    known = rows["post_id"].isin(post_ids)
    counts["unknown_post"] = int((~known).sum())
    row_of = pd.Series(rows.index[known], index=rows["post_id"][known].to_numpy())
    mask = post_ids.isin(row_of.index).to_numpy()
    source = row_of.reindex(post_ids[mask].to_numpy()).to_numpy(np.int64)
    counts["used"] = int(mask.sum())
    return ImageRows(image_features, source, mask, size), counts


def fuse_new_posts(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: Table,
    image_labels: pd.DataFrame,
    fusion_model: FusionModel,
) -> pd.DataFrame:
    """``post_features`` rows of new posts, fused with the fitted ``fusion_model`` (no refit)."""
    post_features, _, _ = fuse_posts(
        posts,
        post_text_features,
        image_features,
        image_labels,
        fusion_model.imagenet_categories,
        {},
        fusion_model,
    )
    return post_features


def build_post_features_and_model(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: Table,
    image_labels: pd.DataFrame,
    imagenet_categories: dict[str, Any],
    params: dict[str, Any],
    caption_topic_model: CaptionTopicModel,
    interest_lexicon: dict[str, Any],
    text_params: dict[str, Any],
    interest_classifier: InterestClassifier | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], FusionModel]:
    """``post_features``, the fusion summary and the fitted ``FusionModel`` (:func:`fuse_posts`
    with the fusion ``params``), the model also carrying the text features' topic model,
    interest classifier, lexicon configuration and parameters (``text_params``), so a new
    caption gets its text features from the same functions
    (``insta_kedro.personas.assignment``).
    """
    post_features, summary, model = fuse_posts(
        posts, post_text_features, image_features, image_labels, imagenet_categories, params
    )
    model.caption_topic_model = caption_topic_model
    model.interest_classifier = interest_classifier
    model.interest_lexicon = interest_lexicon
    model.text_params = text_params
    return post_features, summary, model


def fuse_posts(
    posts: pd.DataFrame,
    post_text_features: pd.DataFrame,
    image_features: Table,
    image_labels: pd.DataFrame,
    imagenet_categories: dict[str, Any],
    params: dict[str, Any],
    fusion_model: FusionModel | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], FusionModel]:
    """Fused post features, the summary, and the fitted model.

    With ``fusion_model`` nothing is fitted: its blocks, PCA, scalers and weights are used,
    a block the model has but a post lacks contributes zeros, and blocks the model lacks are
    left out, so the vectors have the training layout.
    """
    model = fusion_model
    weights = (
        {name: block["weight"] for name, block in model.blocks.items()}
        if model
        else {name: float(weight) for name, weight in params["block_weights"].items()}
    )
    frame = posts[["post_id", "profile"]].reset_index(drop=True)
    text = text_rows(frame["post_id"], post_text_features)
    missing_text = int(text["own_present"].isna().sum())
    if missing_text:
        logger.warning(
            "fusion: %d of %d posts have no row in post_text_features (an earlier "
            "text_features run on other data?): their text blocks are 0, counted as "
            "posts_without_text_features in fusion_report. Run `kedro run "
            "--pipelines=text_features` for these posts.",
            missing_text,
            len(frame),
        )
    no_text_features = model is None and missing_text == len(frame) > 0
    text_columns = [c for c in post_text_features.columns if c != "post_id"]
    if any(text[c].hasnans for c in text_columns):  # else no copy of the table is needed
        text = text.fillna(dict.fromkeys(text_columns, 0.0))
    categories = model.categories if model else interest_categories(post_text_features)
    summary: dict[str, Any] = {
        "posts": len(frame),
        "posts_without_text_features": missing_text,
        "blocks": {},
    }
    blocks: list[FeatureBlock] = []

    def add(
        name: str,
        features: np.ndarray | None,
        confidence: np.ndarray | None,
        available: np.ndarray | None = None,
        reason: str | None = None,
    ) -> None:
        if model is not None:
            if name not in model.blocks:
                reason = "not in the fusion model"
            elif features is None:  # the model has the block, this post lacks it: zeros
                features = np.zeros((len(frame), model.blocks[name]["dims"]))
                confidence = np.zeros(len(frame))
                reason = None
            else:
                reason = None
        elif reason is None and (confidence is None or not (confidence > 0).any()):
            reason = "no post has this block"
        if reason is not None:
            logger.info("fusion: block '%s' dropped: %s.", name, reason)
            summary["blocks"][name] = {"used": False, "reason": reason}
            frame[f"confidence_{name}"] = 0.0
            return
        block = FeatureBlock(name, features, confidence, float(weights[name]), available)
        blocks.append(block)
        frame[f"confidence_{name}"] = block.confidence
        summary["blocks"][name] = {
            "used": True,
            "dims": int(block.features.shape[1]),
            "weight": block.weight,
            "coverage": round(float(block.present.mean()), 4),
            "mean_confidence": round(float(block.confidence[block.present].mean()), 4)
            if block.present.any()
            else 0.0,
        }

    # image: PCA of the VGG16 features, × top-1 ImageNet probability
    image_rows, image_counts = image_feature_rows(frame["post_id"], image_features)
    has_image, image_dims = image_rows.mask, image_rows.width
    if image_counts["unknown_post"]:
        logger.warning(
            "fusion: %d of %d image feature rows are for posts not in `posts` (an earlier "
            "image_features run on other data?): not used, counted as unknown_post in "
            "fusion_report. Run `kedro run --pipelines=image_features` for these posts.",
            image_counts["unknown_post"],
            image_counts["rows"],
        )
    if model is not None and has_image.any() and image_dims != model.image_dims:
        logger.warning(
            "fusion: image features of width %d, the model expects %d: image block is 0.",
            image_dims,
            model.image_dims,
        )
        image_counts["empty_or_wrong_size"] += int(has_image.sum())
        image_counts["used"] = 0
        has_image = np.zeros(len(frame), dtype=bool)
    without_labels = float(
        model.image_confidence_without_labels
        if model
        else params["image_confidence_without_labels"]
    )
    image_pca = None
    summary["image_features"] = image_counts
    summary["image_encoder"] = (
        sorted(read_columns(image_features, ["encoder"])["encoder"].dropna().unique().tolist())
        if "encoder" in column_names(image_features)
        else []
    )
    label_interests = image_label_interests(image_labels, imagenet_categories or {}, categories)
    top1 = frame["post_id"].map(label_interests["top1_probability"]).fillna(0.0).to_numpy()
    summary["image_labels"] = {"rows": len(image_labels), "posts": len(label_interests)}
    if not has_image.any():
        add(
            "image",
            None,
            None,
            reason="no usable image feature (no decodable photo: see image_features.error and "
            "ingestion_report; or image_features has not run)",
        )
    else:
        labels_used = model.image_labels_used if model else not label_interests.empty
        if not labels_used:
            logger.info(
                "fusion: no ImageNet labels (random encoder weights?): image confidence "
                "is image_confidence_without_labels=%s.",
                without_labels,
            )
            image_confidence = has_image * without_labels
        else:
            image_confidence = has_image * top1
        if model:
            image_pca = model.image_pca
        else:
            n_vectors = len(image_rows.source)
            fit_rows = bounded_rows(n_vectors, params["image_pca_max_fit"], params["seed"])
            sample = np.empty((len(fit_rows), image_dims), np.float32)
            for at, vectors in image_rows.read(fit_rows):
                sample[np.searchsorted(fit_rows, at)] = vectors
            image_pca = fit_pca(sample, params["image_pca_components"], params["seed"])
            del sample
            summary["image_pca"] = {
                "fitted_on": len(fit_rows),
                "sampled": len(fit_rows) < n_vectors,
            }
        width = 0 if image_pca is None else int(image_pca.n_components_)
        reduced = np.zeros((len(frame), width), dtype=np.float32)
        if image_pca is not None:
            # Block by block as the table is read: no matrix of every image feature is held,
            # and PCA centres a copy of one block only. The values are those of one call up
            # to float32 rounding (BLAS may choose another kernel for a small block).
            posts_with_image = np.flatnonzero(has_image)
            for at, vectors in image_rows.read():
                reduced[posts_with_image[at]] = image_pca.transform(vectors)
        add("image", reduced, image_confidence, has_image)
        del reduced  # the image block holds its own copy
    image_encoder = image_rows.encoders() if summary["blocks"]["image"]["used"] else None

    # own and generated captions
    if no_text_features:
        add("own_text", None, None, reason=NO_TEXT_FEATURES)
        add("gen_text", None, None, reason=NO_TEXT_FEATURES)
    else:
        add(
            "own_text",
            text[text_block_columns(post_text_features, "own")].to_numpy(),
            text["own_present"].to_numpy(),
            text["own_present"].to_numpy() > 0,
        )
        if text["gen_present"].sum() == 0 and model is None:
            add(
                "gen_text",
                None,
                None,
                reason="no generated captions (caption_model did not train: see "
                "caption_metrics.not_trained_reason; or it has not run)",
            )
        else:
            add(
                "gen_text",
                text[text_block_columns(post_text_features, "gen")].to_numpy(),
                text["gen_confidence"].to_numpy(),
                text["gen_present"].to_numpy() > 0,
            )

    # interests: every source weighted by its confidence; a caption's by the strength of its
    # evidence (matched weight / interest_full_weight, at most 1): one weak word is no vote
    full = (
        getattr(model, "interest_full_weight", 1.0)
        if model
        else params.get("interest_full_weight", 1.0)
    )
    own_strength = np.clip(text["own_interest_weight"].to_numpy() / full, 0, 1)
    gen_strength = np.clip(text["gen_interest_weight"].to_numpy() / full, 0, 1)
    own_weight = text["own_present"].to_numpy() * own_strength
    gen_weight = text["gen_confidence"].to_numpy() * gen_strength
    own = text[[f"own_interest_{c}" for c in categories]].to_numpy()
    gen = text[[f"gen_interest_{c}" for c in categories]].to_numpy()
    image = label_interests.reindex(frame["post_id"])[categories].fillna(0.0).to_numpy(float)
    image_weight = top1 * (image.sum(axis=1) > 0)
    evidence = own * own_weight[:, None] + gen * gen_weight[:, None] + image * image_weight[:, None]
    interests = shares(evidence)
    del text, own, gen, image, evidence
    add("interests", interests, np.clip(own_weight + gen_weight + image_weight, 0, 1))

    scalers = model.scalers() if model else fit_block_scalers(blocks)
    if blocks:
        fused, slices = fuse_blocks(blocks, scalers)
    else:
        logger.warning("fusion: no block available for any post; fused vectors are empty.")
        fused, slices = np.zeros((len(frame), 0), dtype=np.float32), {}
    block_layout = {
        block.name: {"weight": block.weight, "dims": int(block.features.shape[1])}
        for block in blocks
    }
    blocks.clear()  # their features are in the fused vectors now
    for name, columns in slices.items():
        summary["blocks"][name]["columns"] = [columns.start, columns.stop]
    summary["feature_dims"] = int(fused.shape[1])
    summary["interest_categories"] = categories
    post_features = pd.concat(
        [
            frame[["post_id", "profile"]],
            pd.Series(list(fused), index=frame.index, name="feature"),
            pd.DataFrame(
                interests, index=frame.index, columns=[f"interest_{c}" for c in categories]
            ),
            frame[[f"confidence_{name}" for name in BLOCKS]],
        ],
        axis=1,
    )
    top = np.where(
        interests.sum(axis=1) > 0,
        np.array(categories, dtype=object)[interests.argmax(axis=1)] if categories else "",
        "",
    )
    post_features["top_interest"] = top
    post_features["image_encoder"] = image_encoder
    fitted = model or FusionModel(
        blocks={name: {**layout, "scaler": scalers[name]} for name, layout in block_layout.items()},
        image_pca=image_pca if summary["blocks"]["image"]["used"] else None,
        image_dims=image_dims,
        image_labels_used=not label_interests.empty,
        image_confidence_without_labels=without_labels,
        interest_full_weight=params.get("interest_full_weight", 1.0),
        categories=list(categories),
        imagenet_categories=imagenet_categories or {},
    )
    return post_features, summary, fitted
