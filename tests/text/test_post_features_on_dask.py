"""``post_text_features`` read on a Dask LocalCluster, or locally in blocks, equal a local run's
in one go, value for value."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import Engine, close_clients
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.text import (
    TextFeaturesParams,
    build_post_text_features,
    fit_interest_classifier,
    fit_topic_model,
)
from insta_kedro.text.interest_lexicon import InterestLexicon
from tests.pipelines.shipped_params import typed

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("demo") / "download"
    write_demo_download(folder)
    posts = parse_download_folder(folder).posts
    params = typed(TextFeaturesParams).model_dump()
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    captions = posts["caption"].fillna("").tolist()
    classifier_settings = {
        k: v
        for k, v in params["interest_classifier"].items()
        if k not in {"weight", "min_probability"}
    }
    generated = pd.DataFrame(
        {
            "post_id": posts["post_id"][::3],
            "generated_caption": "sunset at the beach #travel ☀️",
            "mean_log_prob": -0.7,
            "decoder": "greedy",
        }
    )
    return {
        "posts": posts,
        "generated_captions": generated,
        "caption_topic_model": fit_topic_model(captions, **params["topics"]),
        "interest_lexicon": lexicon,
        "params": params,
        "interest_classifier": fit_interest_classifier(
            captions,
            InterestLexicon.from_config(lexicon, **params["interests"]),
            **classifier_settings,
        ),
    }


def test_text_features_on_a_local_cluster_equal_the_local_run(inputs, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    local, local_report = build_post_text_features(**inputs)
    try:
        ours, report = build_post_text_features(**inputs, engine=Engine("dask", chunk_size=47))
    finally:
        close_clients()
    assert len(inputs["posts"]) > 3 * 47  # several chunks, the last one shorter
    pd.testing.assert_frame_equal(ours, local, check_exact=True)
    assert report == local_report
    assert np.isfinite(ours.drop(columns="post_id").to_numpy()).all()


def test_a_local_run_of_more_posts_than_a_block_reads_them_in_blocks(inputs, monkeypatch):
    from insta_kedro.text import post_features

    whole, whole_report = build_post_text_features(**inputs)
    blocks = []
    read = post_features.caption_blocks
    monkeypatch.setattr(
        post_features,
        "caption_blocks",
        lambda part, **kw: blocks.append(len(part)) or read(part, **kw),
    )
    monkeypatch.setattr(post_features, "LOCAL_BLOCK", 50)
    ours, report = build_post_text_features(**inputs)
    assert blocks == [50] * (len(inputs["posts"]) // 50) + [len(inputs["posts"]) % 50]
    pd.testing.assert_frame_equal(ours, whole, check_exact=True)
    assert report == whole_report


def test_a_non_finite_feature_is_replaced_by_zero_and_counted(inputs, monkeypatch):
    from insta_kedro.text import post_features

    read = post_features.caption_blocks

    def with_bad_values(part, **kw):
        own, gen, own_stats, gen_stats = read(part, **kw)
        own.iloc[0, 1], gen.iloc[2, 3] = np.inf, np.nan
        return own, gen, own_stats, gen_stats

    monkeypatch.setattr(post_features, "caption_blocks", with_bad_values)
    features, report = build_post_text_features(**inputs)
    assert report["non_finite_values_replaced"] == 2
    assert np.isfinite(features.drop(columns="post_id").to_numpy()).all()
