"""ConfigEnvironmentCheckHook: `kedro run --env=X` without a folder conf/X stops, naming it."""

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from insta_kedro.kedro_ext.config_environment import ConfigEnvironmentError


def run_in_env(project, env: str) -> None:
    """`kedro run --pipelines=ingestion --env=<env>` in a KedroSession of ``project``."""
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        session.run(pipeline_names=["ingestion"])


def test_a_run_in_an_environment_without_its_folder_names_it(kedro_project, monkeypatch):
    # the tracking store of conf/base/mlflow.yml, as a user's run has it
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    (kedro_project / "conf" / "staging").mkdir()
    with pytest.raises(ConfigEnvironmentError) as raised:
        run_in_env(kedro_project, "prod")
    message = str(raised.value)
    assert "'prod'" in message
    assert str(kedro_project / "conf" / "prod") in message
    assert "local, staging" in message
    assert not (kedro_project / "data" / "02_intermediate" / "posts.parquet").exists()


def test_a_run_in_an_environment_with_its_folder_runs(kedro_project):
    (kedro_project / "conf" / "staging").mkdir()
    (kedro_project / "conf" / "staging" / "parameters.yml").write_text(
        "ingestion:\n  demo:\n    n_profiles: 2\n    posts_per_profile: 3\n"
    )
    run_in_env(kedro_project, "staging")
    assert (kedro_project / "data" / "02_intermediate" / "posts.parquet").exists()
