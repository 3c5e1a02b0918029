"""`kedro run` with the engine on a real Dask cluster: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1, reached through DASK_SCHEDULER_ADDRESS, give the local run's results
(image features by cosine, text features exactly)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from distributed import Client

from tests.dask_cluster import dask_cluster

KEDRO = Path(sys.executable).with_name("kedro")
# VGG16 to its pooled conv features (pool): a tenth of fc2's weights, the same dask path
DEMO = "ingestion.demo.n_profiles=4,ingestion.demo.posts_per_profile=4,image_features.layer=pool"


def _kedro_run(project: Path, pipelines: str, params: str, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(KEDRO), "run", f"--pipelines={pipelines}", f"--params={params}"],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _tasks_done_by_prefix(dask_scheduler) -> dict[str, int]:
    """On the scheduler: how many tasks of each key prefix it has seen finish."""
    return {
        name: sum(prefix.state_counts.values())
        for name, prefix in dask_scheduler.task_prefixes.items()
    }


def _outputs(project: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    features = project / "data" / "04_feature"
    return (
        pd.read_parquet(features / "image_features.parquet"),
        pd.read_parquet(features / "post_text_features.parquet"),
    )


def test_kedro_run_on_a_dask_cluster_gives_the_local_results(kedro_project, tmp_path):
    _kedro_run(
        kedro_project,
        "ingestion,image_features,text_features",
        f"{DEMO},image_features.cache_dir=data/local_cache",
    )
    local_images, local_text = _outputs(kedro_project)

    workers_folder = tmp_path / "cluster"  # the workers run elsewhere: paths must be absolute
    workers_folder.mkdir()
    with dask_cluster(workers_folder) as cluster:
        _kedro_run(
            kedro_project,
            "image_features,text_features",
            # text_features in chunks of 5 posts: 16 = 5 + 5 + 5 + 1
            f"{DEMO},engine.name=dask,engine.dask.chunk_sizes.text_features=5,"
            "image_features.cache_dir=data/dask_cache",
            env={"DASK_SCHEDULER_ADDRESS": cluster.address},
        )
        with Client(cluster.address) as client:
            done = client.run_on_scheduler(_tasks_done_by_prefix)
    assert done.get("apply", 0) >= 1 + 4, done  # an image_features chunk, 4 text_features ones
    images, text = _outputs(kedro_project)

    assert len(images) == len(local_images) == 16
    assert images["post_id"].tolist() == local_images["post_id"].tolist()
    assert images["error"].isna().tolist() == local_images["error"].isna().tolist()
    for ours, theirs in zip(images["feature"], local_images["feature"], strict=True):
        if theirs is not None:
            cosine = ours @ theirs / (np.linalg.norm(ours) * np.linalg.norm(theirs))
            assert cosine >= 0.9999
    pd.testing.assert_frame_equal(text, local_text, check_exact=True)
    # the dask run encoded every image itself, in its own cache
    assert list((kedro_project / "data" / "dask_cache").glob("*/part-*.parquet"))
