"""fusion nodes on the demo download, with and without image features and labels.

The domain functions behind the nodes have their own tests in tests/fusion (``test_users``,
``test_people``, ``test_theme_separation``).
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import EngineParams
from insta_kedro.fusion import FusionParams, fuse_posts
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.pipelines.fusion.nodes import (
    build_user_features,
    collect_interest_evidence,
    evaluate_theme_separation,
)
from insta_kedro.pipelines.text_features.nodes import build_post_text_features, fit_caption_topics
from insta_kedro.text import TextFeaturesParams
from tests.pipelines.shipped_params import typed

CONF = Path(__file__).resolve().parents[3] / "conf" / "base"
NO_GENERATED = pd.DataFrame(columns=["post_id", "generated_caption", "mean_log_prob", "decoder"])
NO_IMAGES = pd.DataFrame(columns=["post_id", "image_sha256", "feature", "encoder", "error"])
NO_LABELS = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / name).read_text())


@pytest.fixture(scope="module")
def params() -> dict:
    """The shipped fusion settings as the dict ``fuse_posts`` takes."""
    return conf("parameters_fusion.yml")["fusion"]


@pytest.fixture(scope="module")
def table() -> dict:
    return conf("interests/imagenet_categories.yml")


def text_features(posts: pd.DataFrame) -> pd.DataFrame:
    """``post_text_features`` of ``posts`` (shipped parameters, no generated captions)."""
    text_params = typed(TextFeaturesParams)
    text, _ = build_post_text_features(
        posts,
        NO_GENERATED,
        fit_caption_topics(posts, text_params),
        conf("interests/lexicon.yml"),
        text_params,
        None,
        typed(EngineParams),
    )
    return text


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "download"
    themes = write_demo_download(folder)
    parsed = parse_download_folder(folder)
    text = text_features(parsed.posts)
    return parsed.posts, parsed.profiles, text, themes


def user_features(posts, profiles, post_features, text, profile_categories=None):
    """``build_user_features`` with the shipped lexicon and parameters."""
    return build_user_features(
        posts,
        profiles,
        post_features,
        text,
        conf("interests/lexicon.yml"),
        profile_categories or {},
        typed(FusionParams),
        typed(TextFeaturesParams),
    )


def image_inputs(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Image features for all posts but two (one with an error), labels for the first two."""
    rng = np.random.default_rng(0)
    ids = posts["post_id"].tolist()
    features = pd.DataFrame(
        {
            "post_id": ids[:-1] + ["not_a_post"],
            "image_sha256": "x",
            "feature": [rng.normal(size=64).astype(np.float32) for _ in ids],
            "encoder": "vgg16-fc2-imagenet",
            "error": [None] * (len(ids) - 2) + ["decode failed", None],
        }
    )
    labels = pd.DataFrame(
        {
            "post_id": [ids[0], ids[0], ids[1]],
            "rank": [1, 2, 1],
            "label": ["pizza", "plate", "golden_retriever"],
            "probability": [0.7, 0.2, 0.0],
        }
    )
    return features, labels


def test_missing_inputs_drop_their_blocks_with_the_reason(demo, params, table):
    posts, _, text, _ = demo
    post_features, blocks, _ = fuse_posts(posts, text, NO_IMAGES, NO_LABELS, table, params)
    assert not blocks["blocks"]["image"]["used"]
    assert blocks["blocks"]["image"]["reason"].startswith("no usable image feature")
    assert not blocks["blocks"]["gen_text"]["used"]
    assert "caption_model did not train" in blocks["blocks"]["gen_text"]["reason"]
    assert blocks["blocks"]["own_text"]["used"] and blocks["blocks"]["interests"]["used"]
    assert len(post_features) == len(posts)
    assert (post_features["confidence_image"] == 0).all()
    dims = {len(v) for v in post_features["feature"]}
    assert dims == {blocks["feature_dims"]}
    assert np.isfinite(np.stack(post_features["feature"].tolist())).all()


def test_image_block_confidence_is_the_top1_probability(demo, params, table, caplog):
    posts, _, text, _ = demo
    features, labels = image_inputs(posts)
    with caplog.at_level(logging.WARNING):
        post_features, blocks, _ = fuse_posts(posts, text, features, labels, table, params)
    assert f"1 of {len(posts)} image feature rows are for posts not in `posts`" in caplog.text
    image = blocks["blocks"]["image"]
    assert blocks["image_features"] == {
        "rows": len(posts),
        "with_error": 1,
        "empty_or_wrong_size": 0,
        "duplicate_post": 0,
        "unknown_post": 1,
        "used": len(posts) - 2,
    }
    assert post_features["confidence_image"].tolist()[:3] == pytest.approx([0.7, 0.0, 0.0])
    vectors = np.stack(post_features["feature"].tolist())[:, slice(*image["columns"])]
    assert np.linalg.norm(vectors[0]) == pytest.approx(0.7 * image["weight"], rel=1e-4)
    assert not vectors[1:].any()  # zero confidence: nothing, whatever the features
    assert post_features.loc[0, "interest_food"] > 0


def test_without_labels_the_image_confidence_is_the_parameter(demo, params, table):
    posts, _, text, _ = demo
    features, _ = image_inputs(posts)
    settings = {**params, "image_confidence_without_labels": 0.4}
    post_features, _, _ = fuse_posts(posts, text, features, NO_LABELS, table, settings)
    assert set(post_features["confidence_image"].iloc[:-2]) == {0.4}
    assert post_features["confidence_image"].iloc[-2:].tolist() == [0.0, 0.0]


def test_no_caption_and_no_image_still_gives_a_row_per_post(demo, params, table):
    posts, profiles, text, themes = demo
    silent = text.copy()
    silent[[c for c in silent if c != "post_id"]] = 0.0
    post_features, blocks, _ = fuse_posts(posts, silent, NO_IMAGES, NO_LABELS, table, params)
    assert len(post_features) == len(posts)
    assert blocks["feature_dims"] == 0
    assert not any(block["used"] for block in blocks["blocks"].values())
    report, metrics = evaluate_theme_separation(post_features, blocks, themes, typed(FusionParams))
    assert metrics == {} and report["ablation"]["ground_truth_posts"] == len(posts)
    # no caption, no image and a profile that says nothing: no evidence at all → "other"
    mute = profiles.assign(biography="", category=None)
    users = user_features(posts, mute, post_features, silent)
    assert (users["top_interest"] == "other").all()
    assert (users["interest_other"] == 1.0).all()


def test_evidence_and_interests_use_the_profile_category(demo, params, table):
    posts, profiles, text, themes = demo
    post_features, _, _ = fuse_posts(posts, text, NO_IMAGES, NO_LABELS, table, params)
    mapping = conf("interests/profile_categories.yml")
    evidence = collect_interest_evidence(
        posts,
        profiles,
        NO_LABELS,
        conf("interests/lexicon.yml"),
        table,
        mapping,
        typed(FusionParams),
        typed(TextFeaturesParams),
    )
    business = profiles[profiles["is_business"]].set_index("profile")
    assert len(business)  # the demo has business profiles, with Instagram's category enums
    for profile, row in business.iterrows():
        theme = themes["profiles"][profile]
        assert evidence[profile][theme]["profile_category"] == row["category"]
        assert evidence[profile][theme]["terms"] or evidence[profile][theme]["hashtags"]
    # without the mapping, the same people still get their theme from their posts
    users = user_features(posts, profiles, post_features, text, mapping).set_index("profile")
    unmapped = user_features(posts, profiles, post_features, text, {}).set_index("profile")
    for profile in business.index:
        theme = themes["profiles"][profile]
        assert users.loc[profile, f"interest_{theme}"] > unmapped.loc[profile, f"interest_{theme}"]


def test_theme_separation_takes_k_max_posts_and_seed_from_the_parameters(demo, params, table):
    posts, _, text, themes = demo
    post_features, blocks, _ = fuse_posts(posts, text, NO_IMAGES, NO_LABELS, table, params)
    settings = typed(FusionParams, ablation__k=3, ablation__max_posts=40)
    report, metrics = evaluate_theme_separation(post_features, blocks, themes, settings)
    assert report["ablation"]["ground_truth_posts"] == 40
    assert report["ablation"]["k"] == 3
    assert metrics["fused.knn_accuracy"]["value"] == report["ablation"]["fused"]["knn_accuracy"]
