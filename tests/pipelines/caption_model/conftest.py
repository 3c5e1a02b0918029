"""The caption_model node tests' fixtures: the captioning tests' synthetic posts, image
features and tiny settings."""

import pandas as pd
import pytest

from tests.captioning.conftest import TINY_PARAMS, synthetic_features, synthetic_posts


@pytest.fixture
def posts() -> pd.DataFrame:
    return synthetic_posts()


@pytest.fixture
def image_features(posts) -> pd.DataFrame:
    return synthetic_features(posts)


@pytest.fixture
def tiny_params(tmp_path) -> dict:
    return {**TINY_PARAMS, "checkpoint_dir": str(tmp_path / "checkpoint")}
