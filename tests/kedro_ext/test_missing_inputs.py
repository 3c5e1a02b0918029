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


def test_a_node_whose_in_memory_input_another_node_makes_names_that_node(tmp_path):
    from kedro.io import DataCatalog

    from insta_kedro.kedro_ext.missing_inputs import check_inputs_exist
    from insta_kedro.pipeline_registry import project_pipelines

    vocab = {"type": "json.JSONDataset", "filepath": str(tmp_path / "caption_vocab.json")}
    catalog = DataCatalog.from_config({"caption_vocab": vocab})
    catalog.save("caption_vocab", {"chars": []})  # the persisted input is there
    pipelines = project_pipelines()
    some_nodes = pipelines["caption_model"].only_nodes("train_caption_model")
    with pytest.raises(MissingInputError) as raised:
        check_inputs_exist(some_nodes, catalog, pipelines, "this run")
    message = str(raised.value)
    assert message.startswith(
        "this run needs datasets 'caption_data_report', 'caption_examples', which live in memory"
    )
    assert "'prepare_caption_examples' (pipeline caption_model)" in message
    assert message.count("prepare_caption_examples' (") == 1  # one node makes both
    assert "`--from-nodes=prepare_caption_examples`" in message
    assert "`kedro run --pipelines=caption_model`" in message


def test_a_run_of_some_nodes_stops_before_mlflow_naming_the_node_it_leaves_out(
    run_kedro, kedro_project
):
    """``kedro run --nodes=parse_download``: Kedro itself would only say that 'raw_download' is
    "not found in the DataCatalog", after opening an MLflow run."""
    import mlflow
    from kedro.framework.session import KedroSession

    with (
        KedroSession.create(project_path=kedro_project) as session,
        pytest.raises(
            MissingInputError,
            match=r"^this run needs dataset 'raw_download', which lives in memory only.*"
            r"'acquire_download' \(pipeline ingestion\).*--from-nodes=acquire_download",
        ),
    ):
        session.run(node_names=["parse_download"])
    client = mlflow.MlflowClient(f"sqlite:///{kedro_project / 'mlflow.db'}")
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []


def test_the_error_names_the_pipelines_or_this_run_when_nodes_are_picked():
    from insta_kedro.kedro_ext.missing_inputs import run_name_of

    assert run_name_of({"pipeline_names": ["ingestion", "fusion"]}) == "ingestion,fusion"
    assert run_name_of({"pipeline_names": None, "pipeline_name": None}) == "__default__"
    assert run_name_of({"pipeline_names": ["ingestion"], "node_names": ["x"]}) == "this run"
    assert run_name_of({"pipeline_names": None, "tags": ["fusion"]}) == "this run"
