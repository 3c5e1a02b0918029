"""params:fusion (and params:text_features, which the fusion nodes also take): the shipped
settings are typed, and a bad setting stops a run before any node, with a message that names
it."""

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.fusion import FusionParams
from insta_kedro.pipelines.fusion import create_pipeline
from insta_kedro.text import TextFeaturesParams
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def validated(fusion: dict) -> dict:
    """``fusion`` and the shipped text_features settings, validated for the fusion nodes."""
    parameters = {"fusion": fusion, "text_features": shipped("text_features")}
    return validated_by_kedro(create_pipeline(), parameters)


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated(shipped("fusion"))
    assert isinstance(params["fusion"], FusionParams)
    assert isinstance(params["text_features"], TextFeaturesParams)
    assert params["fusion"].model_dump() == shipped("fusion")


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"block_weights__own_text": -1.0},
            "fusion.block_weights.own_text",
            "Input should be greater than or equal to 0",
        ),
        (
            {"block_weights__image": "high"},
            "fusion.block_weights.image",
            "Input should be a valid number",
        ),
        (
            {"block_weights": {"image": 0, "own_text": 0, "gen_text": 0, "interests": 0.0}},
            "fusion.block_weights",
            "Every block weight is 0: every fused vector would be 0",
        ),
        (
            {"block_weights__text": 1.0},
            "fusion.block_weights.text",
            "Extra inputs are not permitted",
        ),
        (
            {"image_confidence_without_labels": 2},
            "fusion.image_confidence_without_labels",
            "Input should be less than or equal to 1",
        ),
        (
            {"person__interest_sharpening": 0},
            "fusion.person.interest_sharpening",
            "Input should be greater than 0",
        ),
        (
            {"person__persona_weights__style": -0.1},
            "fusion.person.persona_weights.style",
            "Input should be greater than or equal to 0",
        ),
        (
            {"ablation__k": 0},
            "fusion.ablation.k",
            "Input should be greater than or equal to 1",
        ),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    with pytest.raises(ParameterValidationError) as error:
        validated(raw(FusionParams, **changes))
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["fusion"], {"fusion": {"block_weights": {"own_text": -1}}})
    assert "\nfusion.block_weights.own_text\n" in str(error.value)
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))
