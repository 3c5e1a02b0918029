"""Every pipeline folder is registered and the default runs them all."""

from kedro.framework.project import configure_project

from insta_kedro.pipeline_registry import PIPELINE_ORDER, register_pipelines


def test_default_pipeline_contains_every_registered_pipeline():
    configure_project("insta_kedro")
    pipelines = register_pipelines()
    assert "ingestion" in pipelines
    default_nodes = set(pipelines["__default__"].nodes)
    for name, pipeline in pipelines.items():
        if name != "__default__":
            assert name in PIPELINE_ORDER
            assert set(pipeline.nodes) <= default_nodes


def test_ingestion_produces_the_contract_datasets():
    configure_project("insta_kedro")
    outputs = register_pipelines()["ingestion"].all_outputs()
    assert {"posts", "profiles", "follows", "ingestion_report"} <= outputs
