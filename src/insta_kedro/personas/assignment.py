"""Assign new posts to the persona clusters without refitting anything.

A new post goes through the same functions as the training posts:
``build_post_text_features`` (with the fitted topic model, lexicon and parameters kept in
``fusion_model``), ``fuse_new_posts`` (fitted image PCA, block scalers and weights),
then the fitted reduction and HDBSCAN's ``approximate_predict`` (``post_clusterer``).

``post_rows`` columns: ``image_feature`` (list[float32] or None), ``caption`` (str),
``generated_caption`` (str or None), ``generated_mean_log_prob`` (float or None),
``image_labels`` (list of (label, probability), best first); ``post_id`` is optional.
"""

from typing import Any

import numpy as np
import pandas as pd

from insta_kedro.fusion import FusionModel, fuse_new_posts
from insta_kedro.personas.clustering import PersonaClusterer, stack_vectors
from insta_kedro.text import build_post_text_features

NEW_PROFILE = "(new)"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_missing(value: Any) -> bool:
    return value is None or (np.isscalar(value) and pd.isna(value))


def new_post_frames(
    post_rows: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``posts``, ``generated_captions``, ``image_features`` and ``image_labels`` frames in
    the pipelines' own layouts, built from ``post_rows``."""
    rows = post_rows.reset_index(drop=True)
    ids = (
        rows["post_id"].astype(str)
        if "post_id" in rows
        else pd.Series([f"new_{i}" for i in range(len(rows))])
    )
    captions = rows.get("caption", pd.Series([""] * len(rows))).map(_text)
    posts = pd.DataFrame(
        {
            "post_id": ids,
            "profile": NEW_PROFILE,
            "caption": captions,
            "has_caption": captions.str.strip() != "",
        }
    )
    generated = rows.get("generated_caption", pd.Series([None] * len(rows))).map(_text)
    log_probs = rows.get("generated_mean_log_prob", pd.Series([None] * len(rows)))
    with_generated = generated.str.strip() != ""
    generated_captions = pd.DataFrame(
        {
            "post_id": ids[with_generated],
            "generated_caption": generated[with_generated],
            "mean_log_prob": pd.to_numeric(log_probs[with_generated], errors="coerce"),
        }
    )
    images = rows.get("image_feature", pd.Series([None] * len(rows)))
    with_image = ~images.map(_is_missing)
    image_features = pd.DataFrame(
        {
            "post_id": ids[with_image],
            "feature": images[with_image].map(lambda v: np.asarray(v, np.float32)),
            "error": None,
        }
    )
    labels = rows.get("image_labels", pd.Series([None] * len(rows)))
    image_labels = pd.DataFrame(
        [
            {"post_id": post_id, "rank": rank, "label": str(label), "probability": float(prob)}
            for post_id, post_labels in zip(ids, labels, strict=True)
            if not _is_missing(post_labels)
            for rank, (label, prob) in enumerate(post_labels, start=1)
        ],
        columns=["post_id", "rank", "label", "probability"],
    )
    return posts, generated_captions, image_features, image_labels


def new_post_features(post_rows: pd.DataFrame, fusion_model: FusionModel) -> pd.DataFrame:
    """``post_features`` rows (``feature`` and interests) of new posts, fused like training."""
    posts, generated, image_features, image_labels = new_post_frames(post_rows)
    text_features, _ = build_post_text_features(
        posts,
        generated,
        fusion_model.caption_topic_model,
        fusion_model.interest_lexicon,
        fusion_model.text_params,
        fusion_model.interest_classifier,
    )
    return fuse_new_posts(posts, text_features, image_features, image_labels, fusion_model)


def assign_new_posts(
    post_rows: pd.DataFrame, fusion_model: FusionModel, post_clusterer: PersonaClusterer
) -> pd.DataFrame:
    """Cluster (-1 noise) and probability of each new post, plus its ``x``/``y`` on the map,
    its ``top_interest`` and ``post_id``; rows in ``post_rows`` order."""
    features = new_post_features(post_rows, fusion_model)
    vectors, usable = stack_vectors(features["feature"])
    clusters = np.full(len(features), -1, dtype=int)
    probabilities = np.zeros(len(features))
    coordinates = np.full((len(features), 2), np.nan)
    if usable.any() and vectors.shape[1] == post_clusterer.dims:
        clusters[usable], probabilities[usable] = post_clusterer.assign(vectors[usable])
        reduced = post_clusterer.reduce(vectors[usable])
        coordinates[usable] = post_clusterer.map_coordinates(reduced)
    return pd.DataFrame(
        {
            "post_id": features["post_id"].to_numpy(),
            "cluster": clusters,
            "probability": probabilities,
            "x": coordinates[:, 0],
            "y": coordinates[:, 1],
            "top_interest": features["top_interest"].to_numpy(),
        },
        index=post_rows.index,
    )
