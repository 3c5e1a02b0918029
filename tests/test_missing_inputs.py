"""A pipeline run without its persisted inputs says which pipeline to run first."""

import pytest

from insta_kedro.missing_inputs import MissingInputError


def test_caption_model_alone_names_the_pipelines_to_run_first(run_kedro):
    with pytest.raises(MissingInputError, match=r"'posts'.*kedro run --pipelines=ingestion"):
        run_kedro(["caption_model"])


def test_image_features_alone_names_ingestion(run_kedro):
    with pytest.raises(MissingInputError, match=r"'posts'.*kedro run --pipelines=ingestion"):
        run_kedro(["image_features"])


def test_caption_model_without_image_features_names_image_features(run_kedro, shared_instagram_dl):
    run_kedro(
        ["ingestion"], {"ingestion": {"source": "folder", "folder": str(shared_instagram_dl)}}
    )
    with pytest.raises(ValueError, match=r"kedro run --pipelines=image_features"):
        run_kedro(["caption_model"])
