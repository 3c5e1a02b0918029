"""Fixtures of the fusion tests: the shipped configuration, and the demo download described by
the text features (no generated captions) and fused without images."""

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import yaml

from insta_kedro import text
from insta_kedro.fusion import fuse_posts
from insta_kedro.ingestion import parse_download_folder, write_demo_download

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
NO_GENERATED = pd.DataFrame(columns=["post_id", "generated_caption", "mean_log_prob", "decoder"])
NO_IMAGES = pd.DataFrame(columns=["post_id", "image_sha256", "feature", "encoder", "error"])
NO_LABELS = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])


def conf(name: str) -> Any:
    return yaml.safe_load((CONF / name).read_text())


@pytest.fixture(scope="session")
def fusion_params() -> dict[str, Any]:
    """``params:fusion`` as shipped."""
    return conf("parameters_fusion.yml")["fusion"]


@pytest.fixture(scope="session")
def text_params() -> dict[str, Any]:
    """``params:text_features`` as shipped."""
    return conf("parameters_text_features.yml")["text_features"]


@pytest.fixture(scope="session")
def lexicon(text_params) -> text.InterestLexicon:
    """The shipped interest lexicon with the shipped settings."""
    return text.InterestLexicon.from_config(
        conf("interests/lexicon.yml"), **text_params["interests"]
    )


@pytest.fixture(scope="session")
def describe_and_fuse(
    text_params, fusion_params
) -> Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]]:
    """``posts`` → their ``post_text_features`` (shipped parameters, no generated captions),
    ``post_features`` and fusion summary (no images, no labels)."""

    def describe_and_fuse(posts: pd.DataFrame):
        captions = posts["caption"].fillna("").tolist()
        topics = text.fit_topic_model(captions, **text_params["topics"])
        text_features, _ = text.build_post_text_features(
            posts, NO_GENERATED, topics, conf("interests/lexicon.yml"), text_params
        )
        post_features, blocks, _ = fuse_posts(
            posts,
            text_features,
            NO_IMAGES,
            NO_LABELS,
            conf("interests/imagenet_categories.yml"),
            fusion_params,
        )
        return text_features, post_features, blocks

    return describe_and_fuse


@pytest.fixture(scope="session")
def fused_demo(tmp_path_factory, describe_and_fuse) -> SimpleNamespace:
    """The demo download: ``posts``, ``profiles``, ``themes`` (its ground truth),
    ``text_features``, ``post_features`` and ``blocks`` (the fusion summary)."""
    folder = tmp_path_factory.mktemp("demo") / "download"
    themes = write_demo_download(folder)
    parsed = parse_download_folder(folder)
    text_features, post_features, blocks = describe_and_fuse(parsed.posts)
    return SimpleNamespace(
        posts=parsed.posts,
        profiles=parsed.profiles,
        themes=themes,
        text_features=text_features,
        post_features=post_features,
        blocks=blocks,
    )
