"""The caption blocks of ``post_text_features``: what an absent caption, or a kind of caption
no post has, gives; a run read in blocks equals one read in one go. (On a Dask cluster, in
chunks: tests/test_dask_cluster.py.)"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.engine import LOCAL
from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.text import (
    InterestLexicon,
    build_post_text_features,
    fit_interest_classifier,
    fit_topic_model,
)
from insta_kedro.text.captions import TextStats, read_captions
from insta_kedro.text.params import TextFeaturesParams
from insta_kedro.text.post_features import caption_block, caption_blocks, caption_table
from tests.pipelines.shipped_params import typed

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
CAPTIONS = pd.Series(
    [
        "A sunny day at the beach with my dog 🐶 #dogsofinstagram",
        "written, but the post says it has no caption",
        "",
        "lol this meme about mondays 😂 @friend",
        None,
    ],
    index=[10, 11, 12, 13, 14],
)
PRESENT = pd.Series([True, False, False, True, False], index=CAPTIONS.index)


def _fitted() -> dict:
    params = typed(TextFeaturesParams).model_dump()
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    return {
        "topic_model": fit_topic_model([c for c in CAPTIONS if c] * 5, n_topics=2, min_df=1),
        "lexicon": InterestLexicon.from_config(lexicon, **params["interests"]),
        "classifier": None,
        "params": params,
    }


def _block(captions: pd.Series, present: pd.Series, stats: TextStats) -> pd.DataFrame:
    fitted = _fitted()
    return caption_block(
        captions,
        present,
        "own",
        fitted["topic_model"],
        fitted["lexicon"],
        None,
        fitted["params"],
        stats,
    )


def test_an_absent_caption_is_a_row_of_zeros_counted_as_an_empty_one():
    stats = TextStats()
    block = _block(CAPTIONS, PRESENT, stats)

    assert list(block.index) == list(CAPTIONS.index)
    assert (block.loc[~PRESENT] == 0.0).all().all()
    assert block.loc[PRESENT, "own_present"].eq(1.0).all()
    assert block.loc[PRESENT, "own_word_count"].gt(0).all()
    # the captions present get what they get when read without the others
    alone = _block(CAPTIONS[PRESENT], PRESENT[PRESENT], TextStats())
    pd.testing.assert_frame_equal(block.loc[PRESENT], alone, check_exact=True)
    # the report counts an absent caption as reading "" counts it
    expected = TextStats()
    read_captions(CAPTIONS.where(PRESENT, ""), stats=expected)
    assert stats.as_dict() == expected.as_dict()
    assert stats.as_dict()["empty"] == 3


def _captions(generated: pd.Series, confidence: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "own_text": CAPTIONS.fillna(""),
            "own_present": PRESENT,
            "gen_text": generated,
            "gen_present": generated.str.strip() != "",
            "gen_confidence": confidence,
        }
    )


def test_a_kind_of_caption_no_post_has_comes_back_as_none_and_reads_as_zeros():
    fitted = _fitted()
    none_generated = _captions(pd.Series("", index=CAPTIONS.index), 0.0)
    own, gen, own_stats, gen_stats = caption_blocks(none_generated, **fitted)
    assert gen is None and own is not None
    # counted as a block of absent captions is counted
    expected = TextStats()
    _block(none_generated["gen_text"], none_generated["gen_present"], expected)
    assert gen_stats.as_dict() == expected.as_dict()
    assert gen_stats.as_dict()["empty"] == len(CAPTIONS)

    table, _, _ = caption_table(none_generated, LOCAL, **fitted)
    gen_columns = [c for c in table.columns if c.startswith("gen_")]
    assert gen_columns[:2] == ["gen_present", "gen_confidence"]
    assert (table[gen_columns] == 0.0).all().all()
    assert table["own_present"].tolist() == PRESENT.astype(float).tolist()
    # the same table as when each block is written out, zeros and all
    some_generated = _captions(CAPTIONS.fillna("").where(~PRESENT, ""), 0.5)
    assert caption_blocks(some_generated, **fitted)[1] is not None
    with_both, _, _ = caption_table(some_generated, LOCAL, **fitted)
    assert list(with_both.columns) == list(table.columns)
    assert with_both["gen_present"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]


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
