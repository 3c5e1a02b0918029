"""fusion_model: the fitted fusion, kept to fuse new posts exactly like the training posts."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import EngineParams
from insta_kedro.fusion import FusionModel, FusionParams, fuse_new_posts, fuse_posts
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.pipelines.fusion.nodes import build_post_features_and_model
from insta_kedro.pipelines.text_features.nodes import build_post_text_features, fit_caption_topics
from insta_kedro.text import TextFeaturesParams
from tests.pipelines.shipped_params import shipped, typed

CONF = Path(__file__).resolve().parents[3] / "conf" / "base"
NO_GENERATED = pd.DataFrame(columns=["post_id", "generated_caption", "mean_log_prob", "decoder"])
NO_LABELS = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / name).read_text())


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "download"
    write_demo_download(folder, n_profiles=6, posts_per_profile=8, image_size=32)
    posts = parse_download_folder(folder).posts
    text_params = typed(TextFeaturesParams)
    lexicon = conf("interests/lexicon.yml")
    topics = fit_caption_topics(posts, text_params)
    text, _ = build_post_text_features(
        posts, NO_GENERATED, topics, lexicon, text_params, None, typed(EngineParams)
    )
    rng = np.random.default_rng(0)
    images = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "feature": [rng.normal(size=40).astype(np.float32) for _ in range(len(posts))],
            "encoder": "vgg16-fc2-imagenet",
            "error": None,
        }
    )
    labels = pd.DataFrame(
        {"post_id": posts["post_id"][:5], "rank": 1, "label": "pizza", "probability": 0.6}
    )
    table = conf("interests/imagenet_categories.yml")
    params = typed(FusionParams)
    outputs = build_post_features_and_model(
        posts, text, images, labels, table, topics, lexicon, params, text_params
    )
    return posts, text, images, labels, table, params.model_dump(), outputs


def test_model_output_does_not_change_post_features(fitted):
    posts, text, images, labels, table, params, (post_features, summary, model) = fitted
    plain, plain_summary, _ = fuse_posts(posts, text, images, labels, table, params)
    pd.testing.assert_frame_equal(post_features, plain)
    assert summary == plain_summary
    assert isinstance(model, FusionModel) and model.caption_topic_model is not None
    assert list(model.blocks) == ["image", "own_text", "interests"]  # no generated captions
    assert model.dims == len(post_features["feature"].iloc[0])
    assert model.image_dims == 40 and model.image_labels_used
    # the stored model holds the text settings as a plain dict, as the web app reads them
    assert model.text_params == shipped("text_features")


def test_training_posts_fused_again_give_the_same_vectors(fitted):
    posts, text, images, labels, _, _, (post_features, _, model) = fitted
    model = pickle.loads(pickle.dumps(model))  # as the catalog stores it
    again = fuse_new_posts(posts.iloc[::3], text.iloc[::3], images, labels, model)
    expected = post_features.iloc[::3]
    np.testing.assert_allclose(
        np.stack(again["feature"].tolist()), np.stack(expected["feature"].tolist()), atol=1e-5
    )
    assert again["top_interest"].tolist() == expected["top_interest"].tolist()


def test_new_post_without_image_or_with_a_wrong_sized_one_keeps_the_layout(fitted, caplog):
    posts, text, _, _, _, _, (post_features, _, model) = fitted
    one = posts.iloc[[0]]
    no_image = fuse_new_posts(one, text.iloc[[0]], images_of(one, None), NO_LABELS, model)
    wrong = fuse_new_posts(one, text.iloc[[0]], images_of(one, 7), NO_LABELS, model)
    columns = slice(0, model.blocks["image"]["dims"])
    for fused in (no_image, wrong):
        vector = fused["feature"].iloc[0]
        assert len(vector) == model.dims and not np.any(vector[columns])
        assert fused["confidence_image"].iloc[0] == 0.0
    assert "the model expects 40" in caplog.text


def images_of(posts: pd.DataFrame, width: int | None) -> pd.DataFrame:
    if width is None:
        return pd.DataFrame(columns=["post_id", "feature", "encoder", "error"])
    return pd.DataFrame(
        {"post_id": posts["post_id"], "feature": [np.ones(width, np.float32)], "error": None}
    )
