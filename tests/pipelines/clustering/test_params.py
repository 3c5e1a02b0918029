"""params:clustering: the shipped settings are a ClusteringParams, and a bad setting stops a
run before any node, with a message that names it."""

import pytest
from kedro.validation import ParameterValidationError

from insta_kedro.engine import EngineParams
from insta_kedro.personas import ClusteringParams
from insta_kedro.pipelines.clustering import create_pipeline
from tests.pipelines.shipped_params import raw, shipped, validated_by_kedro


def test_the_nodes_get_every_shipped_setting_typed():
    params = validated_by_kedro(
        create_pipeline(), {"clustering": shipped("clustering"), "engine": shipped("engine")}
    )
    assert isinstance(params["clustering"], ClusteringParams)
    assert params["clustering"].model_dump() == shipped("clustering")
    assert params["clustering"].users.hdbscan.min_cluster_size == "auto"
    assert params["clustering"].posts.max_fit == 50_000
    assert params["clustering"].posts.hdbscan.min_cluster_size == "auto"
    assert params["clustering"].posts.hdbscan.min_samples == "auto"
    assert isinstance(params["engine"], EngineParams)


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"users__hdbscan__min_cluster_size": 1},
            "clustering.users.hdbscan.min_cluster_size",
            "Input should be 'auto' or an integer >= 2",
        ),
        (
            {"posts__hdbscan__min_cluster_size": "some"},
            "clustering.posts.hdbscan.min_cluster_size",
            "Input should be 'auto' or an integer >= 2",
        ),
        (
            {"posts__hdbscan__min_samples": 0},
            "clustering.posts.hdbscan.min_samples",
            "Input should be 'auto', null or an integer >= 1",
        ),
        (
            {"users__hdbscan__min_samples": "auto"},
            "clustering.users.hdbscan.min_samples",
            "Input should be a valid integer",
        ),
        (
            {"posts__reduction__n_components": 0},
            "clustering.posts.reduction.n_components",
            "Input should be greater than or equal to 1 (reduction.method is not none)",
        ),
        (
            {"users__reduction__method": "tsne"},
            "clustering.users.reduction.method",
            "Input should be 'pca', 'umap' or 'none'",
        ),
        (
            {"posts__hdbscan__cluster_selection_method": "best"},
            "clustering.posts.hdbscan.cluster_selection_method",
            "Input should be 'eom' or 'leaf'",
        ),
        (
            {"validation__stability_fraction": 1.0},
            "clustering.validation.stability_fraction",
            "Input should be less than 1",
        ),
        (
            {"description__top_terms": -1},
            "clustering.description.top_terms",
            "Input should be greater than or equal to 0",
        ),
        (
            {"posts__max_fit": 1},
            "clustering.posts.max_fit",
            "Input should be greater than or equal to 2",
        ),
        (
            {"posts__max_fit": 1000.0},
            "clustering.posts.max_fit",
            "Input should be a valid integer",
        ),
        (
            {"users__max_fit": 1000},
            "clustering.users.max_fit",
            "Extra inputs are not permitted",
        ),
        (
            {"users__hdbscan__min_cluster_sise": 4},
            "clustering.users.hdbscan.min_cluster_sise",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_setting_is_named(changes, setting, message):
    with pytest.raises(ParameterValidationError) as error:
        validated_by_kedro(create_pipeline(), {"clustering": raw(ClusteringParams, **changes)})
    assert f"\n{setting}\n  {message}" in str(error.value)


def test_no_components_are_asked_for_without_a_reduction():
    settings = raw(
        ClusteringParams, posts__reduction__method="none", posts__reduction__n_components=0
    )
    assert ClusteringParams.model_validate(settings).posts.reduction.n_components == 0


def test_kedro_run_stops_before_any_node_naming_the_setting(run_kedro, kedro_project):
    with pytest.raises(ParameterValidationError) as error:
        run_kedro(["clustering"], {"clustering": {"users": {"hdbscan": {"min_cluster_size": 1}}}})
    assert "\nclustering.users.hdbscan.min_cluster_size\n" in str(error.value)
    assert not any(path.is_file() for path in (kedro_project / "data").rglob("*"))
