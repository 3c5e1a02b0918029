"""The MLflow run says which image features its results build on, and how to run it again."""

import shlex

import mlflow
import pandas as pd
import pytest
from kedro.framework.cli.project import run as kedro_run_command

from insta_kedro.kedro_ext.run_tags import (
    image_feature_inputs,
    in_run_order,
    kedro_command,
    runner_option,
)
from insta_kedro.pipeline_registry import project_pipelines

DEMO = {"ingestion": {"demo": {"posts_per_profile": 4, "image_size": 32}}}


def _parsed(command: str) -> dict:
    """The options of ``command`` as Kedro's own ``kedro run`` reads them (it fails on an
    option it does not know)."""
    words = shlex.split(command)
    assert words[:2] == ["kedro", "run"]
    return kedro_run_command.make_context("run", words[2:]).params


def _latest_run(kedro_project) -> mlflow.entities.Run:
    client = mlflow.MlflowClient(f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"])[
        0
    ]


def test_the_pipelines_that_read_what_was_made_from_image_features():
    pipelines = project_pipelines()
    reads = {name: image_feature_inputs(p, pipelines) for name, p in pipelines.items()}
    assert reads["ingestion"] == [] and reads["image_features"] == []
    assert reads["caption_model"] == ["image_features"]
    assert reads["text_features"] == ["generated_captions"]
    assert "image_features" in reads["fusion"] and "generated_captions" not in reads["fusion"]
    assert {"post_features", "user_features", "generated_captions"} <= set(reads["clustering"])
    # a run that makes the features itself is tagged by the encoding
    both = pipelines["image_features"] + pipelines["clustering"]
    assert image_feature_inputs(both, pipelines) == []


def test_a_run_on_features_of_random_weights_is_tagged_random_and_can_be_repeated(
    run_kedro, kedro_project
):
    run_kedro(["ingestion"], DEMO)
    assert "image_features.encoder_weights" not in _latest_run(kedro_project).data.tags
    posts = pd.read_parquet(kedro_project / "data/02_intermediate/posts.parquet")
    features = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "image_sha256": [f"{i:064x}" for i in range(len(posts))],
            "feature": [[0.5, 1.0]] * len(posts),
            "encoder": "vgg16-fc2-random",
            "error": None,
        }
    )
    features.loc[0, ["feature", "encoder", "error"]] = [None, None, "cannot decode image"]
    (kedro_project / "data/04_feature").mkdir()
    features.to_parquet(kedro_project / "data/04_feature/image_features.parquet")

    run_kedro(["text_features"], DEMO)  # reads generated captions: built on those features

    tags = _latest_run(kedro_project).data.tags
    assert tags["image_features.encoder"] == "vgg16-fc2-random"
    assert tags["image_features.encoder_weights"] == "random"
    assert tags["runner"] == "SequentialRunner"
    options = _parsed(tags["kedro_command"])
    assert options["pipelines"] == ["text_features"]
    assert options["params"] == {"ingestion": {"demo": {"posts_per_profile": 4, "image_size": 32}}}


def test_the_command_gives_kedro_every_option_of_the_run():
    run_params = {
        "pipeline_names": ["fusion", "clustering"],
        "node_names": ["cluster_posts"],
        "tags": ["clustering"],
        "from_nodes": None,
        "to_outputs": ["post_clusters"],
        "env": "prod",
        "runner": "<kedro.runner.thread_runner.ThreadRunner object at 0x7f26daad1e10>",
        "load_versions": {"posts": "2026-01-01T00.00.00.000Z"},
        "only_missing_outputs": True,
        "runtime_params": {
            "clustering": {"seed": 7, "users": {"min_cluster_size": 3}},
            "ingestion": {"source": "folder", "folder": "/data/my download", "profiles": "2"},
            "image_features.weights": None,
        },
    }
    options = _parsed(kedro_command(run_params))
    assert options["pipelines"] == ["fusion", "clustering"]
    assert options["node_names"] == ["cluster_posts"] and options["tags"] == ["clustering"]
    assert options["to_outputs"] == ["post_clusters"] and options["from_nodes"] == []
    assert options["env"] == "prod" and options["runner"] == "ThreadRunner"
    assert options["load_versions"] == {"posts": "2026-01-01T00.00.00.000Z"}
    assert options["only_missing_outputs"] is True
    assert options["params"] == {
        "clustering": {"seed": 7, "users": {"min_cluster_size": 3}},
        "ingestion": {"source": "folder", "folder": "/data/my download", "profiles": "2"},
        "image_features": {"weights": None},
    }
    assert kedro_command({"runner": "SequentialRunner", "pipeline_names": None}) == "kedro run"


@pytest.mark.parametrize(
    ("recorded", "option"),
    [
        (
            "<kedro.runner.sequential_runner.SequentialRunner object at 0x7f26daad1e10>",
            "SequentialRunner",
        ),
        ("<my_project.runners.GpuRunner object at 0xABC>", "my_project.runners.GpuRunner"),
        ("ThreadRunner", "ThreadRunner"),
        ("None", "SequentialRunner"),  # session.run() without a runner: Kedro's default
    ],
)
def test_the_runner_is_named_as_runner_takes_it(recorded, option):
    assert runner_option(recorded) == option


def test_a_failed_run_says_in_mlflow_which_node_failed_and_why(run_kedro, kedro_project):
    params = {"ingestion": {"source": "folder", "folder": str(kedro_project / "no_such_dl")}}
    with pytest.raises(FileNotFoundError):
        run_kedro(["ingestion"], params)

    run = _latest_run(kedro_project)
    assert run.info.status == "FAILED"
    assert run.data.tags["failed_node"] == "parse_download"
    assert run.data.tags["error"].startswith("FileNotFoundError: Instagram download folder")
    assert "no_such_dl does not exist" in run.data.tags["error"]


def test_an_error_longer_than_a_tag_holds_is_cut():
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    from insta_kedro.kedro_ext.run_tags import error_summary

    assert error_summary(ValueError("bad")) == "ValueError: bad"
    long = error_summary(ValueError("x" * 10_000))
    assert len(long) == MAX_TAG_VAL_LENGTH and long.startswith("ValueError: xxx")


def test_pipelines_are_named_in_the_order_they_run():
    registered = ["ingestion", "image_features", "text_features", "fusion"]
    assert in_run_order(["fusion", "ingestion", "text_features"], registered) == [
        "ingestion",
        "text_features",
        "fusion",
    ]
    assert in_run_order(["mine", "fusion", "ingestion", "fusion"], registered) == [
        "ingestion",
        "fusion",
        "mine",
    ]
    assert in_run_order([], registered) == []


def test_a_run_of_several_pipelines_is_named_after_them_in_the_order_they_run(
    run_kedro, kedro_project
):
    """``kedro run --pipelines=a,b`` hands Kedro the names in a set's order: the same command
    must give the same run name and command tag every time."""
    run_kedro(["text_features", "ingestion"], DEMO)

    run = _latest_run(kedro_project)
    assert run.info.run_name == "ingestion+text_features"
    assert _parsed(run.data.tags["kedro_command"])["pipelines"] == ["ingestion", "text_features"]
    assert run.data.tags["pipeline_names"] == "['ingestion', 'text_features']"
