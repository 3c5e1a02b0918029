"""params:image_features: the shipped settings are typed, and a bad setting stops a run
before any node, with a message that names it."""

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.pipelines.image_features import create_pipeline
from insta_kedro.vision import ImageFeaturesParams
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def validated(image_features: dict) -> dict:
    return validated_by_kedro(create_pipeline(), {"image_features": image_features})


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated(shipped("image_features"))
    assert isinstance(params["image_features"], ImageFeaturesParams)
    assert params["image_features"].model_dump() == shipped("image_features")


@pytest.mark.parametrize("weights", ["imagenet", None, "/models/vgg16.weights.h5"])
def test_weights_are_imagenet_a_file_or_null(weights):
    params = validated(raw(ImageFeaturesParams, weights=weights))
    assert params["image_features"].weights == weights


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        ({"layer": "fc3"}, "image_features.layer", "Input should be 'fc2' or 'pool'"),
        (
            {"precision": "float16"},
            "image_features.precision",
            "Input should be 'auto', 'float32' or 'bfloat16'",
        ),
        ({"resize": "stretch"}, "image_features.resize", "Input should be 'crop' or 'pad'"),
        (
            {"batch_size": 0},
            "image_features.batch_size",
            "Input should be greater than or equal to 1",
        ),
        ({"chunk_size": 2.5}, "image_features.chunk_size", "Input should be a valid integer"),
        (
            {"top_k": 1001},
            "image_features.top_k",
            "Input should be less than or equal to 1000",
        ),
        (
            {"random_seed": -1},
            "image_features.random_seed",
            "Input should be greater than or equal to 0",
        ),
        ({"weights": 16}, "image_features.weights", "Input should be a valid string"),
        ({"cache": "x"}, "image_features.cache", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    with pytest.raises(ParameterValidationError) as error:
        validated(raw(ImageFeaturesParams, **changes))
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["image_features"], {"image_features": {"layer": "fc3"}})
    assert "\nimage_features.layer\n  Input should be 'fc2' or 'pool'" in str(error.value)
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))
