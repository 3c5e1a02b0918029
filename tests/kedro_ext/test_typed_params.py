"""Typed parameters reach MLflow as their settings (``ingestion.demo.seed``), and the node as
the typed object."""

import mlflow
from kedro.pipeline import Node
from pydantic import BaseModel

from insta_kedro.kedro_ext.typed_params import TypedParamsMlflowHook, typed_params


class Inner(BaseModel):
    size: int


class Outer(BaseModel):
    name: str
    inner: Inner


def identity(settings: Outer, rows: list) -> list:
    return rows


NODE = Node(identity, ["params:outer", "rows"], "out", name="identity")


def test_only_typed_params_inputs_are_typed_params():
    outer = Outer(name="a", inner=Inner(size=2))
    inputs = {"params:outer": outer, "params:plain": {"size": 2}, "outer": outer}
    assert typed_params(inputs) == {"params:outer": outer}


def test_the_hooks_in_between_see_dicts_and_the_node_gets_the_model():
    hook = TypedParamsMlflowHook()
    outer = Outer(name="a", inner=Inner(size=2))
    inputs = {"params:outer": outer, "rows": [1]}

    hook.as_dicts(node=NODE, inputs=inputs)
    assert inputs == {"params:outer": {"name": "a", "inner": {"size": 2}}, "rows": [1]}
    assert hook.as_models(node=NODE) == {"params:outer": outer}
    assert hook.as_models(node=NODE) is None  # handed back once


def test_a_node_without_typed_params_is_left_alone():
    hook = TypedParamsMlflowHook()
    inputs = {"params:outer": {"name": "a"}, "rows": [1]}
    hook.as_dicts(node=NODE, inputs=inputs)
    assert inputs == {"params:outer": {"name": "a"}, "rows": [1]}
    assert hook.as_models(node=NODE) is None


def test_a_run_logs_each_setting_of_the_typed_params(run_kedro, kedro_project):
    small_demo = {"n_profiles": 2, "posts_per_profile": 2, "image_size": 32}
    run_kedro(["ingestion"], {"ingestion": {"demo": small_demo}})

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro")
    (run,) = client.search_runs([experiment.experiment_id])
    params = run.data.params
    assert params["ingestion.source"] == "demo"
    assert params["ingestion.demo.n_profiles"] == "2"
    assert params["ingestion.max_posts_per_profile"] == "None"
    assert "ingestion" not in params and "ingestion" not in run.data.tags
