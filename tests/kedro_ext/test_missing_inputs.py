"""A pipeline run without its persisted inputs says which pipeline to run first."""

import pytest

from insta_kedro.kedro_ext.missing_inputs import MissingInputError


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


def test_fusion_alone_names_every_pipeline_it_waits_for(run_kedro):
    with pytest.raises(
        MissingInputError,
        match=r"'caption_topic_model'.*`kedro run --pipelines=ingestion,text_features` first",
    ):
        run_kedro(["fusion"])


def test_clustering_after_ingestion_names_a_command_that_makes_its_inputs(run_kedro):
    run_kedro(["ingestion"])
    # the first of clustering's missing inputs that fusion makes
    made_by_fusion = r"'(post_features|user_features|interest_evidence)'"
    with pytest.raises(
        MissingInputError, match=made_by_fusion + r".*`kedro run --pipelines=text_features,fusion`"
    ):
        run_kedro(["clustering"])

    run_kedro(["text_features", "fusion"])  # what the message said to run
    run_kedro(["clustering"])


def test_clustering_alone_names_every_pipeline_that_makes_its_missing_inputs(run_kedro):
    with pytest.raises(MissingInputError) as raised:
        run_kedro(["clustering"])
    message = str(raised.value)
    assert "more (" in message and "which do not exist yet" in message
    assert message.endswith("run `kedro run --pipelines=ingestion,text_features,fusion` first.")
