"""New posts assigned to persona clusters through the fitted fusion and clusterer."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import EngineParams
from insta_kedro.fusion import FusionParams
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.personas.assignment import assign_new_posts, new_post_frames
from insta_kedro.personas.clustering import (
    fit_persona_clusterer,
    post_level_params,
    stack_vectors,
)
from insta_kedro.pipelines.fusion.nodes import build_post_features_and_model
from insta_kedro.pipelines.text_features.nodes import build_post_text_features, fit_caption_topics
from insta_kedro.text import TextFeaturesParams
from tests.pipelines.shipped_params import typed

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / name).read_text())


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Demo posts with generated captions and image features, fused and clustered."""
    folder = tmp_path_factory.mktemp("demo") / "download"
    themes = write_demo_download(folder, n_profiles=6, posts_per_profile=10, image_size=32)
    posts = parse_download_folder(folder).posts
    theme_index = {t: i for i, t in enumerate(themes["themes"])}
    rng = np.random.default_rng(0)
    generated = pd.DataFrame(
        {
            "post_id": posts["post_id"][::2],
            "generated_caption": posts["caption"][::2].str[:40],
            "mean_log_prob": -0.5,
        }
    )
    images = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "feature": [
                (np.eye(len(theme_index), 24)[theme_index[themes["posts"][p]]] * 3)
                + rng.normal(scale=0.2, size=24)
                for p in posts["post_id"]
            ],
            "error": None,
        }
    )
    text_params = typed(TextFeaturesParams)
    lexicon = conf("interests/lexicon.yml")
    topics = fit_caption_topics(posts, text_params)
    text, _ = build_post_text_features(
        posts, generated, topics, lexicon, text_params, None, typed(EngineParams)
    )
    no_labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    post_features, _, fusion_model = build_post_features_and_model(
        posts,
        text,
        images,
        no_labels,
        {},
        topics,
        lexicon,
        typed(FusionParams),
        text_params,
    )
    cluster_params = conf("parameters_clustering.yml")["clustering"]
    cluster_params["posts"]["hdbscan"]["min_cluster_size"] = 5
    cluster_params = post_level_params(cluster_params, len(post_features))
    clusterer, result = fit_persona_clusterer(
        stack_vectors(post_features["feature"])[0], cluster_params
    )
    rows = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "image_feature": posts["post_id"].map(images.set_index("post_id")["feature"]),
            "caption": posts["caption"],
            "generated_caption": posts["post_id"].map(
                generated.set_index("post_id")["generated_caption"]
            ),
            "generated_mean_log_prob": posts["post_id"].map(
                generated.set_index("post_id")["mean_log_prob"]
            ),
            "image_labels": [[] for _ in range(len(posts))],
        }
    )
    return rows, fusion_model, clusterer, result


def test_training_posts_are_assigned_to_their_own_clusters(fitted):
    rows, fusion_model, clusterer, result = fitted
    assert result.n_clusters >= 2
    assigned = assign_new_posts(rows, fusion_model, clusterer)
    assert list(assigned.columns[:3]) == ["post_id", "cluster", "probability"]
    clustered = result.labels != -1
    agreement = (assigned["cluster"].to_numpy() == result.labels)[clustered].mean()
    assert agreement >= 0.95
    np.testing.assert_allclose(assigned[["x", "y"]].to_numpy(), result.coordinates, atol=1e-4)


def test_odd_new_posts_are_assigned_without_crashing(fitted):
    _, fusion_model, clusterer, _ = fitted
    odd = pd.DataFrame(
        {
            "image_feature": [None, np.ones(3, np.float32), None],
            "caption": ["", "pasta night with friends 🍝 #foodie", None],
            "generated_caption": [None, "pizza time", None],
            "generated_mean_log_prob": [None, None, float("nan")],
            "image_labels": [None, [("pizza", 0.9), ("plate", 0.05)], []],
        },
        index=[10, 11, 12],
    )
    assigned = assign_new_posts(odd, fusion_model, clusterer)
    assert assigned.index.tolist() == [10, 11, 12]
    assert assigned["post_id"].tolist() == ["new_0", "new_1", "new_2"]
    assert assigned["cluster"].dtype == np.int64
    assert assigned["probability"].between(0, 1).all()
    assert assigned.loc[11, "top_interest"] == "food"


def test_new_post_frames_follow_the_pipeline_layouts():
    rows = pd.DataFrame(
        {
            "image_feature": [[0.5, 0.5], None],
            "caption": ["hi #tag", None],
            "generated_caption": [None, "a dog"],
            "generated_mean_log_prob": [None, -1.0],
            "image_labels": [[("pizza", 0.9)], None],
        }
    )
    posts, generated, images, labels = new_post_frames(rows)
    assert posts["has_caption"].tolist() == [True, False]
    assert generated.to_dict("records") == [
        {"post_id": "new_1", "generated_caption": "a dog", "mean_log_prob": -1.0}
    ]
    assert images["post_id"].tolist() == ["new_0"] and images["feature"].iloc[0].dtype == np.float32
    assert labels.to_dict("records") == [
        {"post_id": "new_0", "rank": 1, "label": "pizza", "probability": 0.9}
    ]
