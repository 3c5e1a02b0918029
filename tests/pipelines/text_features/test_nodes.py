"""text_features nodes on the demo download (real generator and parser, no mocks)."""

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import EngineParams
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.pipelines.text_features.nodes import build_post_text_features, fit_caption_topics
from insta_kedro.text import TextFeaturesParams, align_generated_captions
from tests.pipelines.shipped_params import typed

CONF = Path(__file__).resolve().parents[3] / "conf" / "base"
GENERATED_COLUMNS = ["post_id", "generated_caption", "mean_log_prob", "decoder"]


@pytest.fixture(scope="module")
def params() -> TextFeaturesParams:
    return typed(TextFeaturesParams)


@pytest.fixture(scope="module")
def lexicon() -> dict:
    return yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[pd.DataFrame, dict]:
    folder = tmp_path_factory.mktemp("demo") / "download"
    themes = write_demo_download(folder)
    return parse_download_folder(folder).posts, themes


def run_nodes(posts, generated, params, lexicon):
    model = fit_caption_topics(posts, params)
    return build_post_text_features(
        posts, generated, model, lexicon, params, None, typed(EngineParams)
    )


def test_features_are_numeric_complete_and_prefixed(demo, params, lexicon):
    posts, _ = demo
    features, report = run_nodes(posts, pd.DataFrame(columns=GENERATED_COLUMNS), params, lexicon)
    assert features["post_id"].tolist() == posts["post_id"].tolist()
    numeric = features.drop(columns="post_id")
    assert all(pd.api.types.is_float_dtype(t) for t in numeric.dtypes)
    assert np.isfinite(numeric.to_numpy()).all()
    assert {c.split("_")[0] for c in numeric.columns} == {"own", "gen"}
    assert len([c for c in numeric if c.startswith("own_topic_")]) == params.topics.n_topics
    assert report["own_captions"]["present"] == int(features["own_present"].sum())
    assert report["generated_captions"]["present"] == 0
    assert not numeric.filter(like="gen_").any().any()


def test_posts_without_caption_have_zero_own_features(demo, params, lexicon):
    posts, _ = demo
    features, _ = run_nodes(posts, pd.DataFrame(columns=GENERATED_COLUMNS), params, lexicon)
    without = features[~posts["has_caption"].to_numpy()]
    assert len(without) > 0
    assert not without.filter(like="own_").any().any()


def test_own_caption_interests_find_the_demo_themes(demo, params, lexicon):
    posts, themes = demo
    features, _ = run_nodes(posts, pd.DataFrame(columns=GENERATED_COLUMNS), params, lexicon)
    interests = (
        features.set_index("post_id")
        .filter(like="own_interest_")
        .drop(columns="own_interest_weight")
    )
    matched = interests[interests.sum(axis=1) > 0]
    top = matched.idxmax(axis=1).str.removeprefix("own_interest_")
    truth = matched.index.map(themes["posts"])
    assert (top.to_numpy() == truth.to_numpy()).mean() > 0.7
    assert len(matched) > 0.7 * posts["has_caption"].sum()


def test_generated_captions_join_by_post_with_confidence(demo, params, lexicon, caplog):
    posts, _ = demo
    ids = posts["post_id"].tolist()
    generated = pd.DataFrame(
        {
            "post_id": [ids[0], ids[1], ids[1], ids[2], "not_a_post", ids[3]],
            "generated_caption": ["pasta night 🍝 #foodie", "gym", "dup", "beach", "x", ""],
            "mean_log_prob": [np.log(0.5), np.log(0.25), 0.0, np.nan, -1.0, -0.1],
            "decoder": "greedy",
        }
    )
    text, confidence, counts = align_generated_captions(posts, generated)
    assert counts == {
        "rows": 6,
        "matched": 4,
        "unknown_post": 1,
        "duplicate_post": 1,
        "missing_log_prob": 1,
        "empty_caption": 1,
    }
    assert confidence.tolist()[:4] == pytest.approx([0.5, 0.25, 0.0, 0.0])
    with caplog.at_level(logging.WARNING):
        features, report = run_nodes(posts, generated, params, lexicon)
    assert "1 of 6 generated captions are for posts not in `posts`" in caplog.text
    assert features["gen_present"].tolist()[:5] == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert features.loc[0, "gen_interest_food"] == 1.0
    assert features.loc[0, "gen_hashtag_count"] == 1
    assert report["generated_captions"]["unknown_post"] == 1


def test_no_caption_at_all_still_gives_every_feature(demo, params, lexicon):
    posts, _ = demo
    silent = posts.head(20).assign(caption="", has_caption=False)
    features, report = run_nodes(silent, pd.DataFrame(columns=GENERATED_COLUMNS), params, lexicon)
    assert len(features) == 20
    assert not features.drop(columns="post_id").any().any()
    assert report["topics"]["fitted_components"] == 0


@pytest.mark.parametrize(
    ("encoder", "warned"), [("vgg16-fc2-random", True), ("vgg16-fc2-imagenet", False)]
)
def test_the_report_names_the_image_encoder_behind_the_generated_captions(
    demo, params, lexicon, caplog, encoder, warned
):
    posts = demo[0].head(40)
    generated = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "generated_caption": "pasta night #foodie",
            "mean_log_prob": -0.5,
            "decoder": "greedy",
            "image_encoder": encoder,
        }
    )
    with caplog.at_level(logging.WARNING):
        _, report = run_nodes(posts, generated, params, lexicon)
    assert report["image_encoders"] == [encoder]
    assert report["image_encoder_weights"] == encoder.rsplit("-", 1)[1]
    assert (report["image_encoder_warning"] is not None) == warned
    assert ("RANDOM VGG16 weights" in caplog.text) == warned


def test_generated_captions_of_an_older_run_name_no_encoder(demo, params, lexicon):
    _, report = run_nodes(
        demo[0].head(20), pd.DataFrame(columns=GENERATED_COLUMNS), params, lexicon
    )
    assert report["image_encoders"] == [] and report["image_encoder_warning"] is None
