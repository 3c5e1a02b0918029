"""The caption blocks of ``post_text_features``: what an absent caption gives."""

from pathlib import Path

import pandas as pd
import yaml

from insta_kedro.text import InterestLexicon, fit_topic_model
from insta_kedro.text.captions import TextStats, read_captions
from insta_kedro.text.params import TextFeaturesParams
from insta_kedro.text.post_features import caption_block
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


def _block(captions: pd.Series, present: pd.Series, stats: TextStats) -> pd.DataFrame:
    params = typed(TextFeaturesParams).model_dump()
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    topics = fit_topic_model([c for c in CAPTIONS if c] * 5, n_topics=2, min_df=1)
    interests = InterestLexicon.from_config(lexicon, **params["interests"])
    return caption_block(captions, present, "own", topics, interests, None, params, stats)


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
