"""params:ingestion: the shipped settings are an IngestionParams, and a bad setting stops a run
before any node, with a message that names it."""

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.ingestion import IngestionParams
from insta_kedro.pipelines.ingestion import create_pipeline
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated_by_kedro(create_pipeline(), {"ingestion": shipped("ingestion")})
    assert isinstance(params["ingestion"], IngestionParams)
    assert params["ingestion"].model_dump() == shipped("ingestion")


def test_profile_names_and_folders_given_as_numbers_are_text():
    params = IngestionParams.model_validate(
        raw(IngestionParams, source="folder", folder=2024, profiles=[12345, "natgeo"])
    )
    assert params.folder == "2024" and params.profiles == ["12345", "natgeo"]


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"source": "tiktok"},
            "ingestion.source",
            "Input should be 'demo', 'folder' or 'instaloader'",
        ),
        (
            {"source": "folder"},
            "ingestion.folder",
            "ingestion.source is 'folder' but ingestion.folder is not set",
        ),
        (
            {"profiles": "natgeo"},
            "ingestion.profiles",
            "Input should be a valid list",
        ),
        (
            {"max_posts_per_profile": -1},
            "ingestion.max_posts_per_profile",
            "Input should be greater than or equal to 0",
        ),
        (
            {"update": "everything"},
            "ingestion.update",
            "Input should be 'all' or 'new_posts'",
        ),
        (
            {"backoff__budget_s": 0.0},
            "ingestion.backoff.budget_s",
            "Input should be greater than 0",
        ),
        (
            {"backoff__factor": 0.5},
            "ingestion.backoff.factor",
            "Input should be greater than or equal to 1",
        ),
        (
            {"demo__n_profiles": 0},
            "ingestion.demo.n_profiles",
            "Input should be greater than or equal to 1",
        ),
        (
            {"demo__image_size": 8},
            "ingestion.demo.image_size",
            "Input should be greater than or equal to 32",
        ),
        (
            {"demo__size": 64},
            "ingestion.demo.size",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    with pytest.raises(ParameterValidationError) as error:
        validated_by_kedro(create_pipeline(), {"ingestion": raw(IngestionParams, **changes)})
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["ingestion"], {"ingestion": {"source": "folder"}})
    message = str(error.value)
    assert "\ningestion.folder\n" in message and 'pass --params="ingestion.folder=' in message
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))
