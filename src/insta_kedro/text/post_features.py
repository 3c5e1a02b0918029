"""The ``post_text_features`` table, shared by the text_features pipeline and by new posts.

Each post gets the same features twice: from its own caption (columns ``own_…``) and from
the caption the caption model generated for its image (``gen_…``). Posts without a caption,
or without a generated one, get zeros and ``own_present``/``gen_present`` = 0.

Every feature of a post depends on that post alone (and on the fitted topic model, lexicon
and classifier), so with a Dask engine (``insta_kedro.engine``) chunks of posts are read on
the cluster's workers and the table is the same as a local run's, value for value.
"""

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from insta_kedro.engine import LOCAL, Engine, chunked, for_each_result
from insta_kedro.text.captions import NUMERIC_FEATURES, TextStats, read_captions
from insta_kedro.text.interest_classifier import InterestClassifier, tokens_of
from insta_kedro.text.interest_lexicon import InterestLexicon, shares
from insta_kedro.text.topic_model import CaptionTopicModel
from insta_kedro.vision import encoder_report

logger = logging.getLogger(__name__)

OWN = "own"
GENERATED = "gen"
LOCAL_BLOCK = 50_000
"""Posts read at a time by a local run with more posts than this: what is held while
reading captions stays bounded, and the features are the same as in one go."""


def block_columns(
    prefix: str, topic_model: CaptionTopicModel, lexicon: InterestLexicon
) -> list[str]:
    """The columns of :func:`caption_block` for ``prefix``, in order."""
    return [
        f"{prefix}_{name}"
        for name in (
            "present",
            *NUMERIC_FEATURES,
            *(f"topic_{i:02d}" for i in range(topic_model.n_topics)),
            *(f"interest_{c}" for c in lexicon.categories),
            "interest_weight",
        )
    ]


def caption_block(
    captions: pd.Series,
    present: pd.Series,
    prefix: str,
    topic_model: CaptionTopicModel,
    lexicon: InterestLexicon,
    classifier: InterestClassifier | None,
    params: dict[str, Any],
    stats: TextStats,
    progress: str | None = None,
) -> pd.DataFrame:
    """All features of one kind of caption, columns ``<prefix>_<feature>``; zeros where absent.

    ``progress``: the name of the progress bar shown in a terminal while captions are read.

    Interests: the lexicon's matched weight per category plus the classifier's probabilities
    of at least ``interest_classifier.min_probability`` × ``interest_classifier.weight``, as
    shares (``interest_<category>``) and their total
    (``interest_weight``).
    """
    present = present.fillna(False).astype(bool)
    # Only the captions present are read; an absent one is a row of zeros, as "" would read.
    texts = captions[present].fillna("").astype(str)
    basic, parts = read_captions(texts, stats=stats, progress=progress, **params["language"])
    stats.add_empty(int((~present).sum()))
    topics = topic_model.transform(texts.tolist(), basic["language"].tolist())
    evidence = lexicon.weights_of(parts, basic["language"].tolist())
    if classifier is not None:
        settings = params["interest_classifier"]
        probabilities = classifier.predict_tokens([tokens_of(p) for p in parts])
        confident = probabilities >= settings["min_probability"]
        evidence += settings["weight"] * np.where(confident, probabilities, 0.0)
    columns = block_columns(prefix, topic_model, lexicon)
    values = np.zeros((len(captions), len(columns)), dtype=np.float64)
    values[present.to_numpy(), :] = np.hstack(
        [
            np.ones((len(texts), 1)),
            basic[list(NUMERIC_FEATURES)].to_numpy(np.float64),
            topics.astype(np.float64),
            shares(evidence),
            evidence.sum(axis=1, keepdims=True),
        ]
    )
    return pd.DataFrame(values, index=captions.index, columns=columns)


def caption_blocks(
    captions: pd.DataFrame,
    topic_model: CaptionTopicModel,
    lexicon: InterestLexicon,
    classifier: InterestClassifier | None,
    params: dict[str, Any],
    progress: bool = False,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, TextStats, TextStats]:
    """The ``own_…`` and ``gen_…`` blocks (:func:`caption_block`) of ``captions`` (columns
    ``own_text``, ``own_present``, ``gen_text``, ``gen_present``; one row per post) and their
    reading counts. ``progress``: show a progress bar per kind of caption in a terminal.

    A kind of caption that no post of ``captions`` has (every generated one, when the caption
    model did not train) comes back as None instead of a block of zeros: on Dask that block
    would be sent back for nothing; the caller writes its zeros.
    """
    blocks: list[pd.DataFrame | None] = []
    counts = []
    for prefix in (OWN, GENERATED):
        stats = TextStats()
        present = captions[f"{prefix}_present"].fillna(False).astype(bool)
        if present.any():
            block = caption_block(
                captions[f"{prefix}_text"],
                present,
                prefix,
                topic_model,
                lexicon,
                classifier,
                params,
                stats,
                progress=f"text features ({prefix} captions)" if progress else None,
            )
        else:
            block = None
            stats.add_empty(len(captions))  # as caption_block counts absent captions
        blocks.append(block)
        counts.append(stats)
    return blocks[0], blocks[1], counts[0], counts[1]


def caption_table(
    captions: pd.DataFrame, engine: Engine, **fitted: Any
) -> tuple[pd.DataFrame, TextStats, TextStats]:
    """The ``own_…`` and ``gen_…`` columns (:func:`caption_blocks`) of every post of
    ``captions``, in its order, as one float64 table, and the reading counts of each kind;
    ``captions``' ``gen_confidence`` goes into the ``gen_`` columns after ``gen_present``.

    On a Dask ``engine`` the captions are read in chunks of ``engine.chunk_size`` posts on its
    cluster; locally in one go, or in blocks of :data:`LOCAL_BLOCK` posts when there are more.
    Each chunk's columns are copied into the table as they arrive and then let go, so what is
    held is the table and the chunks in flight.
    """
    size = engine.chunk_size if engine.distributed else LOCAL_BLOCK
    confidence = captions["gen_confidence"].to_numpy(np.float64)
    texts = captions.drop(columns="gen_confidence")  # what the chunks read
    chunks = chunked(texts, size) or [texts]
    bounds = np.cumsum([0, *(len(chunk) for chunk in chunks)])
    one_go = len(chunks) == 1 and not engine.distributed
    where = "dask" if engine.distributed else "local"
    bar = tqdm(
        total=len(captions),
        desc=f"text features ({where})",
        unit="post",
        disable=True if one_go else None,  # one go: caption_blocks shows its own bars
    )
    own = block_columns(OWN, fitted["topic_model"], fitted["lexicon"])
    gen = block_columns(GENERATED, fitted["topic_model"], fitted["lexicon"])
    columns = [*own, gen[0], "gen_confidence", *gen[1:]]
    # Where each block's columns go: gen_confidence sits between gen_present and the rest.
    places = (np.arange(len(own)), np.array([len(own), *range(len(own) + 2, len(columns))]))
    values = np.empty((len(captions), len(columns)), np.float64)
    values[:, len(own) + 1] = confidence
    own_stats, gen_stats = TextStats(), TextStats()

    def fill(index: int, part: tuple[Any, Any, TextStats, TextStats]) -> None:
        rows = slice(bounds[index], bounds[index + 1])
        for block, place in zip(part[:2], places, strict=True):
            values[rows, place] = 0.0 if block is None else block.to_numpy(np.float64)
        own_stats.add(part[2])
        gen_stats.add(part[3])
        bar.update(rows.stop - rows.start)

    for_each_result(caption_blocks, chunks, fill, engine, progress=one_go, **fitted)
    bar.close()
    return pd.DataFrame(values, columns=columns, index=captions.index), own_stats, gen_stats


def align_generated_captions(
    posts: pd.DataFrame, generated_captions: pd.DataFrame
) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Generated caption and its confidence exp(mean_log_prob) for each post (in posts order).

    Rows for unknown posts, repeated post_ids (first kept) and missing log-probabilities are
    counted, never silently dropped.
    """
    counts = {
        "rows": len(generated_captions),
        "matched": 0,
        "unknown_post": 0,
        "duplicate_post": 0,
        "missing_log_prob": 0,
        "empty_caption": 0,
    }
    if generated_captions.empty:
        empty = pd.Series("", index=posts.index, dtype=object)
        return empty, pd.Series(0.0, index=posts.index), counts
    generated = generated_captions
    duplicated = generated["post_id"].duplicated()
    counts["duplicate_post"] = int(duplicated.sum())
    generated = generated[~duplicated]
    known = generated["post_id"].isin(posts["post_id"])
    counts["unknown_post"] = int((~known).sum())
    generated = generated[known].set_index("post_id")
    text = posts["post_id"].map(generated["generated_caption"]).fillna("").astype(str)
    log_prob = pd.to_numeric(posts["post_id"].map(generated["mean_log_prob"]), errors="coerce")
    has_row = posts["post_id"].isin(generated.index)
    counts["matched"] = int(has_row.sum())
    counts["missing_log_prob"] = int((has_row & log_prob.isna()).sum())
    counts["empty_caption"] = int((has_row & (text.str.strip() == "")).sum())
    confidence = np.exp(log_prob.clip(upper=0.0)).fillna(0.0).where(text.str.strip() != "", 0.0)
    return text, confidence.astype(np.float64), counts


def build_post_text_features(
    posts: pd.DataFrame,
    generated_captions: pd.DataFrame,
    caption_topic_model: CaptionTopicModel,
    interest_lexicon: dict[str, list[str]],
    params: dict[str, Any],
    interest_classifier: InterestClassifier | None = None,
    engine: Engine = LOCAL,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``post_text_features`` (post_id + numeric ``own_…``/``gen_…`` columns) and a report.

    ``interest_classifier`` (fitted on the lexicon's confident posts) adds interests past the
    lexicon's terms; without it the lexicon alone scores them. ``engine``: where the
    captions are read (``insta_kedro.engine``; on Dask, ``engine.chunk_size`` posts a task;
    locally, :data:`LOCAL_BLOCK` posts at a time). The report says which image encoders the
    generated captions were made from (their ``image_encoder`` column:
    ``vision.encoder_report``), and warns of random VGG16 weights.
    """
    posts = posts.reset_index(drop=True)
    lexicon = InterestLexicon.from_config(
        interest_lexicon, **params["interests"], language=params["language"]
    )
    own_text = posts["caption"].fillna("").astype(str)
    own_present = posts["has_caption"].fillna(False).astype(bool) & (own_text.str.strip() != "")
    gen_text, gen_confidence, gen_counts = align_generated_captions(posts, generated_captions)
    if generated_captions.empty:
        logger.info(
            "No generated captions (caption_model did not train, caption_metrics says why, or "
            "has not run): gen_ columns are 0."
        )
    if gen_counts["unknown_post"]:
        logger.warning(
            "%d of %d generated captions are for posts not in `posts` (an earlier caption_model "
            "run on other data?): not used, counted as unknown_post in text_features_report. "
            "Run `kedro run --pipelines=caption_model` for these posts.",
            gen_counts["unknown_post"],
            gen_counts["rows"],
        )
    gen_present = gen_text.str.strip() != ""

    captions = pd.DataFrame(
        {
            "own_text": own_text,
            "own_present": own_present,
            "gen_text": gen_text,
            "gen_present": gen_present,
            "gen_confidence": gen_confidence,
        }
    )
    fitted = {
        "topic_model": caption_topic_model,
        "lexicon": lexicon,
        "classifier": interest_classifier,
        "params": params,
    }
    started = time.perf_counter()
    features, own_stats, gen_stats = caption_table(captions, engine, **fitted)
    del captions
    seconds = time.perf_counter() - started
    read = int(own_present.sum() + gen_present.sum())
    logger.info(
        "text_features: %d posts, %d own and %d generated captions read in %.1f s (%.0f/s)",
        len(posts),
        int(own_present.sum()),
        int(gen_present.sum()),
        seconds,
        read / seconds if seconds else 0.0,
    )
    # Every feature is finite by construction; never pass NaN on. Checked and mended in
    # place, in blocks of rows, so no copy of the whole table is made for it.
    values = features.to_numpy()
    not_finite = 0
    for start in range(0, len(values), LOCAL_BLOCK):
        block = values[start : start + LOCAL_BLOCK]
        bad = ~np.isfinite(block)
        if bad.any():
            not_finite += int(bad.sum())
            block[bad] = 0.0
    if not_finite:
        logger.warning("%d non-finite text feature values replaced by 0.", not_finite)
    features.insert(0, "post_id", posts["post_id"])
    report = {
        "posts": len(posts),
        "own_captions": {"present": int(own_present.sum()), **own_stats.as_dict()},
        "generated_captions": {
            "present": int(gen_present.sum()),
            **gen_counts,
            **gen_stats.as_dict(),
        },
        "non_finite_values_replaced": not_finite,
        # the generated captions came from a model of these image features
        **encoder_report(generated_captions.get("image_encoder")),
        "features": list(NUMERIC_FEATURES),
        "interest_categories": list(lexicon.categories),
        "interest_classifier_seeds": dict(interest_classifier.seeds) if interest_classifier else {},
        "topics": {
            "n_topics": caption_topic_model.n_topics,
            "fitted_components": 0
            if caption_topic_model.svd is None
            else int(caption_topic_model.svd.n_components),
            "top_terms": caption_topic_model.top_terms(),
        },
    }
    if report["image_encoder_warning"]:
        logger.warning("text_features: generated captions: %s", report["image_encoder_warning"])
    return features, report
