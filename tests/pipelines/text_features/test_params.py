"""params:text_features: the shipped settings are a TextFeaturesParams, and a bad setting stops
a run before any node, with a message that names it."""

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.pipelines.text_features import create_pipeline
from insta_kedro.text import TextFeaturesParams
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated_by_kedro(create_pipeline(), {"text_features": shipped("text_features")})
    assert isinstance(params["text_features"], TextFeaturesParams)
    assert params["text_features"].model_dump() == shipped("text_features")


@pytest.mark.parametrize("value", [1, 2, 0.5, 1.0])
def test_a_document_frequency_keeps_its_kind(value):
    """An integer is a number of captions and a float a share of them (scikit-learn tells them
    apart by type): each stays what it is."""
    params = TextFeaturesParams.model_validate(raw(TextFeaturesParams, topics__max_df=value))
    assert type(params.topics.max_df) is type(value) and params.topics.max_df == value


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"language__min_probability": 1.5},
            "text_features.language.min_probability",
            "Input should be less than or equal to 1",
        ),
        (
            {"topics__n_topics": 0},
            "text_features.topics.n_topics",
            "Input should be greater than or equal to 1",
        ),
        (
            {"topics__max_df": -1},
            "text_features.topics.max_df",
            "Input should be a number of captions (an integer >= 1) or a share of them",
        ),
        (
            {"topics__stop_words": "french"},
            "text_features.topics.stop_words",
            "Input should be 'caption_language', 'english', a list of words, or null",
        ),
        (
            {"interests__max_weight": -1},
            "text_features.interests.max_weight",
            "Input should be greater than or equal to 0",
        ),
        (
            {"interest_classifier__regularization": 0},
            "text_features.interest_classifier.regularization",
            "Input should be greater than 0",
        ),
        (
            {"interest_classifier__seed": "forty-two"},
            "text_features.interest_classifier.seed",
            "Input should be a valid integer",
        ),
        (
            {"topics__n_topic": 8},
            "text_features.topics.n_topic",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    settings = raw(TextFeaturesParams, **changes)
    with pytest.raises(ParameterValidationError) as error:
        validated_by_kedro(create_pipeline(), {"text_features": settings})
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["text_features"], {"text_features": {"topics": {"n_topics": 0}}})
    assert "\ntext_features.topics.n_topics\n" in str(error.value)
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))
