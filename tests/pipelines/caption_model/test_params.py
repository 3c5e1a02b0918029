"""params:caption_model (and params:image_features, which the first node also takes): the
shipped settings are typed, and a bad setting stops a run before any node, with a message
that names it."""

import subprocess
import sys

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.captioning import CaptionModelParams
from insta_kedro.pipelines.caption_model import create_pipeline
from insta_kedro.vision import ImageFeaturesParams
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def validated(caption_model: dict) -> dict:
    """``caption_model`` and the shipped image_features settings, validated for the
    caption_model nodes."""
    parameters = {"caption_model": caption_model, "image_features": shipped("image_features")}
    return validated_by_kedro(create_pipeline(), parameters)


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated(shipped("caption_model"))
    assert isinstance(params["caption_model"], CaptionModelParams)
    assert isinstance(params["image_features"], ImageFeaturesParams)
    assert params["caption_model"].model_dump() == shipped("caption_model")
    assert params["caption_model"].packed_training == "auto"


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"architecture": "lstm"},
            "caption_model.architecture",
            "Input should be 'merge' or 'inject'",
        ),
        (
            {"decoder": "topk"},
            "caption_model.decoder",
            "Input should be 'greedy', 'sample' or 'beam'",
        ),
        (
            {"temperature": 0},
            "caption_model.temperature",
            "Input should be greater than 0",
        ),
        (
            {"top_p": 1.5},
            "caption_model.top_p",
            "Input should be less than or equal to 1",
        ),
        (
            {"top_p": 0.0},
            "caption_model.top_p",
            "Input should be greater than 0",
        ),
        (
            {"beam_width": 0},
            "caption_model.beam_width",
            "Input should be greater than or equal to 1",
        ),
        (
            {"no_repeat_ngram_size": -1},
            "caption_model.no_repeat_ngram_size",
            "Input should be greater than or equal to 0",
        ),
        (
            {"batch_size": 0},
            "caption_model.batch_size",
            "Input should be greater than or equal to 1",
        ),
        (
            {"epochs": 2.5},
            "caption_model.epochs",
            "Input should be a valid integer",
        ),
        (
            {"min_training_captions": 0},
            "caption_model.min_training_captions",
            "Input should be greater than or equal to 1",
        ),
        (
            {"max_len": True},
            "caption_model.max_len",
            "Input should be a valid integer",
        ),
        (
            {"packed_training": "yes"},
            "caption_model.packed_training",
            "Input should be 'auto', true or false",
        ),
        (
            {"fused_lstm": 1},
            "caption_model.fused_lstm",
            "Input should be 'auto', true or false",
        ),
        (
            {"dropout": 1.0},
            "caption_model.dropout",
            "Input should be less than 1",
        ),
        (
            {"verbose": 3},
            "caption_model.verbose",
            "Input should be 'auto', 0, 1 or 2",
        ),
        (
            {"split__test_fraction": 1.5},
            "caption_model.split.test_fraction",
            "Input should be less than or equal to 1",
        ),
        (
            {"split__val_fraction": 0.5, "split__test_fraction": 0.5},
            "caption_model.split",
            "val_fraction + test_fraction should be less than 1 (the rest is trained on)",
        ),
        (
            {"learning_rate": "fast"},
            "caption_model.learning_rate",
            "Input should be a valid number",
        ),
        (
            {"epoch": 2},
            "caption_model.epoch",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    with pytest.raises(ParameterValidationError) as error:
        validated(raw(CaptionModelParams, **changes))
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_a_bad_image_features_setting_stops_the_caption_model_nodes_too():
    parameters = {
        "caption_model": shipped("caption_model"),
        "image_features": raw(ImageFeaturesParams, layer="fc3"),
    }
    with pytest.raises(ParameterValidationError) as error:
        validated_by_kedro(create_pipeline(), parameters)
    assert "\nimage_features.layer\n  Input should be 'fc2' or 'pool'" in str(error.value)


@pytest.mark.parametrize("setting", ["auto", True, False])
def test_packed_training_and_the_fused_lstm_are_auto_or_a_boolean(setting):
    params = CaptionModelParams.model_validate(
        raw(CaptionModelParams, packed_training=setting, fused_lstm=setting)
    )
    for value in (params.packed_training, params.fused_lstm):
        assert value == setting and type(value) is type(setting)


def test_the_settings_dict_keys_the_checkpoint_as_the_yaml_does():
    """``fit_caption_model`` hashes the settings' dict: ``model_dump()`` gives back the YAML's
    values, of the YAML's types (an integer stays an integer, a number a float)."""
    settings = shipped("caption_model")
    dumped = CaptionModelParams.model_validate(settings).model_dump()
    assert dumped == settings
    assert {k: type(v) for k, v in dumped.items()} == {k: type(v) for k, v in settings.items()}


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["caption_model"], {"caption_model": {"decoder": "topk"}})
    assert "\ncaption_model.decoder\n" in str(error.value)
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))


def test_resolving_the_hints_of_the_nodes_imports_no_heavy_library():
    """Kedro resolves the type hints of the caption_model and image_features nodes (their
    models and networks annotated ``Any``) without importing TensorFlow or Keras."""
    heavy = ("tensorflow", "keras", "mlflow", "matplotlib")
    script = (
        "import sys\n"
        "from kedro.validation import TypeExtractor\n"
        "from insta_kedro.pipelines import caption_model, image_features\n"
        "pipelines = {m.__name__: m.create_pipeline() for m in (caption_model, image_features)}\n"
        "found = TypeExtractor(pipelines).extract_types_from_pipelines()\n"
        "print(sorted(f'{k}:{v.__name__}' for k, v in found.items()))\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    sections, imported = result.stdout.strip().splitlines()[-2:]
    assert sections == (
        "['caption_model:CaptionModelParams', 'engine:EngineParams', "
        "'image_features:ImageFeaturesParams']"
    )
    assert imported == "[]", result.stdout
    assert "Could not extract type hints" not in result.stdout + result.stderr
