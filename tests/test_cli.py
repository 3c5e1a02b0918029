"""The commands users type: `kedro run --pipeline=X` (old spelling) and `--pipelines=X`."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

KEDRO = Path(sys.executable).with_name("kedro")


@pytest.mark.parametrize("spelling", ["--pipeline=ingestion", "--pipelines=ingestion"])
def test_kedro_run_one_pipeline(kedro_project, shared_instagram_dl, spelling):
    params = f"ingestion.source=folder,ingestion.folder={shared_instagram_dl}"
    result = subprocess.run(
        [str(KEDRO), "run", spelling, f"--params={params}"],
        cwd=kedro_project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    posts = pd.read_parquet(kedro_project / "data/02_intermediate/posts.parquet")
    assert posts.groupby("profile").size().to_dict() == {"kyliejenner": 87, "therock": 45}
    assert (kedro_project / "mlflow.db").exists()


@pytest.mark.parametrize("spelling", ["--pipeline=clusters", "--pipelines=ingestion,clusters"])
def test_kedro_run_of_a_pipeline_that_does_not_exist_names_the_near_ones(kedro_project, spelling):
    """A misspelt pipeline is no broken module: Kedro's own message, with the names near it."""
    result = subprocess.run(
        [str(KEDRO), "run", spelling],
        cwd=kedro_project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    error = " ".join(result.stderr.split()[-60:])
    assert "Failed to find the pipeline named 'clusters'" in error, result.stderr[-3000:]
    assert "Did you mean one of these instead? clustering" in error, result.stderr[-3000:]
    assert "ImportError" not in result.stderr
    assert not (kedro_project / "data/02_intermediate/posts.parquet").exists()
