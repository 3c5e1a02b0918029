"""Relative path parameters are taken from the project folder, whatever the working folder:
a real ``kedro run`` from a sub-folder, and sessions created for the project from elsewhere."""

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from insta_kedro.kedro_ext.project_paths import (
    PATH_PARAMETERS,
    anchored_parameters,
    project_anchored,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def _ingested_folder(project: Path) -> Path:
    report = json.loads((project / "data/08_reporting/ingestion_report.json").read_text())
    return Path(report["folder"])


def test_a_kedro_run_from_a_sub_folder_writes_the_demo_download_into_the_project(
    kedro_project, monkeypatch
):
    """``cd notebooks && kedro run``: the demo download is the project's
    ``data/01_raw/demo``, beside the outputs, the run is tracked in the project's default
    store (``sqlite:///mlflow.db``: the one ``make mlflow-ui`` and the web app read, its
    artifacts in the project's ``mlruns``), and nothing is written under ``notebooks``."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    notebooks = kedro_project / "notebooks"
    notebooks.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=ingestion"],
        cwd=notebooks,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert list(notebooks.iterdir()) == []
    demo = kedro_project.resolve() / "data/01_raw/demo"
    assert _ingested_folder(kedro_project) == demo
    posts = pd.read_parquet(kedro_project / "data/02_intermediate/posts.parquet")
    assert len(posts) > 0
    assert all(Path(path).is_relative_to(demo) for path in posts["image_path"].dropna())
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("insta_kedro")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith((kedro_project / "mlruns").as_uri())
    assert client.list_artifacts(run.info.run_id, "ingestion")  # its report is there


def test_a_session_from_another_folder_reads_a_relative_folder_of_the_project(
    kedro_project, tmp_path, monkeypatch
):
    """A session created for the project from another working folder (a notebook, a
    scheduler) with ``--params ingestion.folder=<relative>`` reads the project's folder."""
    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        session.run(pipeline_names=["ingestion"])  # the demo download, in the project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    params = {"ingestion": {"source": "folder", "folder": "data/01_raw/demo"}}

    with KedroSession.create(project_path=kedro_project, runtime_params=params) as session:
        session.run(pipeline_names=["ingestion"])

    assert _ingested_folder(kedro_project) == kedro_project.resolve() / "data/01_raw/demo"
    assert list(elsewhere.iterdir()) == []


def test_every_path_parameter_of_a_session_is_the_projects(kedro_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bootstrap_project(kedro_project)
    with KedroSession.create(
        project_path=kedro_project,
        runtime_params={"image_features": {"weights": "models/vgg16.h5"}},
    ) as session:
        params = session.load_context().params

    project = kedro_project.resolve()
    assert params["ingestion"].demo_folder == str(project / "data/01_raw/demo")
    assert params["ingestion"].instagram_folder == str(project / "data/01_raw/instagram")
    assert params["ingestion"].folder is None
    assert params["image_features"].weights == str(project / "models/vgg16.h5")
    assert params["image_features"].cache_dir == str(
        project / "data/04_feature/image_feature_cache"
    )
    assert params["caption_model"].checkpoint_dir == str(
        project / "data/06_models/caption_model_checkpoint"
    )


def test_every_path_parameter_is_a_setting_of_conf_base(kedro_project):
    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        params = session.load_context().params
    for key in PATH_PARAMETERS:
        section, setting = key.split(".")
        assert setting in type(params[section]).model_fields, key


@pytest.mark.parametrize(
    ("path", "anchored"),
    [
        ("data/x", "/project/data/x"),
        ("../downloads", "/project/../downloads"),
        ("/srv/downloads", "/srv/downloads"),
        ("~/downloads", "~/downloads"),
    ],
)
def test_a_relative_path_is_taken_from_the_project(path, anchored):
    assert project_anchored(path, "/project") == anchored


def test_settings_that_name_no_path_are_left_alone():
    parameters = {
        "ingestion": {"folder": None, "demo_folder": "", "instagram_folder": True},
        "image_features": {"weights": "imagenet", "cache_dir": ["not", "a", "path"]},
        "clustering": {"folder": "not/a/path/setting"},
    }
    assert anchored_parameters(parameters, "/project") is parameters


def test_a_number_is_a_folder_name_and_other_settings_are_kept():
    parameters = {"ingestion": {"source": "folder", "folder": 2024}, "engine": {"name": "local"}}
    anchored = anchored_parameters(parameters, "/project")
    assert anchored == {
        "ingestion": {"source": "folder", "folder": "/project/2024"},
        "engine": {"name": "local"},
    }
    assert parameters["ingestion"]["folder"] == 2024  # the configuration is not changed
