"""The caption_model node tests' fixtures: the captioning tests' synthetic posts, image
features and tiny settings, typed as Kedro hands them to the nodes."""

import pandas as pd
import pytest

from insta_kedro.captioning import CaptionModelParams
from insta_kedro.vision import ImageFeaturesParams
from tests.captioning.conftest import TINY_PARAMS, synthetic_features, synthetic_posts
from tests.pipelines.shipped_params import typed


@pytest.fixture
def posts() -> pd.DataFrame:
    return synthetic_posts()


@pytest.fixture
def image_features(posts) -> pd.DataFrame:
    return synthetic_features(posts)


@pytest.fixture
def tiny_params(tmp_path) -> CaptionModelParams:
    """The shipped settings with the tiny ones of ``TINY_PARAMS``, checkpoints in tmp_path."""
    return typed(CaptionModelParams, **{**TINY_PARAMS, "checkpoint_dir": str(tmp_path / "ckpt")})


@pytest.fixture
def image_features_params() -> ImageFeaturesParams:
    """The shipped image_features settings with random weights."""
    return typed(ImageFeaturesParams, weights=None)
