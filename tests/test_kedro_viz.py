"""`kedro viz build` on the project: every pipeline, its key datasets, layers and parameters;
the panel `kedro viz run` shows for a clicked dataset."""

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

PIPELINES = (
    "ingestion",
    "image_features",
    "caption_model",
    "text_features",
    "fusion",
    "clustering",
)
KEY_DATASETS = {
    "ingestion": ("posts", "profiles", "follows", "ingestion_report"),
    "image_features": ("image_features", "image_labels"),
    "caption_model": ("caption_vocab", "caption_model", "caption_metrics", "generated_captions"),
    "text_features": ("post_text_features",),
    "fusion": ("post_features", "user_features"),
    "clustering": ("post_clusters", "user_clusters", "cluster_profiles", "user_characterizations"),
}


@pytest.fixture(scope="module")
def viz_main(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """build/api/main of `kedro viz build` run in a copy of the project's configuration."""
    root = Path(__file__).resolve().parents[1]
    project = tmp_path_factory.mktemp("viz") / "project"
    (project / "conf" / "local").mkdir(parents=True)
    (project / "src").mkdir()
    (project / "data").mkdir()
    shutil.copy(root / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(root / "conf" / "base", project / "conf" / "base")
    kedro = Path(sys.executable).with_name("kedro")
    result = subprocess.run(
        [str(kedro), "viz", "build"],
        check=False,
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    main = json.loads((project / "build" / "api" / "main").read_text())
    main["_log"] = result.stdout + result.stderr
    return main


def test_every_pipeline_is_in_the_build(viz_main: dict):
    ids = {pipeline["id"] for pipeline in viz_main["pipelines"]}
    assert set(PIPELINES) | {"__default__"} <= ids


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_key_datasets_with_layers_and_parameters(viz_main: dict, pipeline: str):
    nodes = viz_main["nodes"]
    data = {n["name"]: n for n in nodes if n["type"] == "data" and pipeline in n["pipelines"]}
    for dataset in KEY_DATASETS[pipeline]:
        assert dataset in data, f"{dataset} not in pipeline {pipeline}"
        assert data[dataset]["layer"], f"{dataset} has no kedro-viz layer"
    parameters = [n for n in nodes if n["type"] == "parameters" and pipeline in n["pipelines"]]
    assert any(
        n["name"] == f"params:{pipeline}" or n["name"].startswith(f"params:{pipeline}.")
        for n in parameters
    ), f"no parameters of {pipeline}"


def test_layers_have_an_order(viz_main: dict):
    assert "circular dependency detected among layers" not in " ".join(viz_main["_log"].split())
    assert {"raw", "intermediate", "feature", "reporting"} <= set(viz_main["layers"])


def test_layers_are_in_data_flow_order(viz_main: dict):
    """The bands read top to bottom as the data flows: the download (raw) is parsed into the
    posts (intermediate), which give the features, then the reports. kedro-viz orders two layers
    only when a dataset of one leads to a dataset of the other (else its order changes from
    one process to the next): each of these leads to the next."""
    flow = ("raw", "intermediate", "feature", "reporting")
    layers = viz_main["layers"]
    assert [layers.index(name) for name in flow] == sorted(layers.index(name) for name in flow)
    children: dict[str, set[str]] = {}
    for edge in viz_main["edges"]:
        children.setdefault(edge["source"], set()).add(edge["target"])
    layer_of = {node["id"]: node.get("layer") for node in viz_main["nodes"]}
    for earlier, later in itertools.pairwise(flow):
        reached = {node for node, layer in layer_of.items() if layer == earlier}
        pending = list(reached)
        while pending:
            for child in children.get(pending.pop(), ()):
                if child not in reached:
                    reached.add(child)
                    pending.append(child)
        assert any(layer_of[node] == later for node in reached), f"{earlier} leads to no {later}"


def test_every_parquet_dataset_of_the_catalog_previews_in_kedro_viz(kedro_project: Path):
    """Clicking a table in `kedro viz run` shows its first rows: kedro-viz's node metadata,
    serialized as its API serves it, for each Parquet dataset of the project's catalog holding a
    column of arrays (as `posts.hashtags`, each `feature`, `post_clusters.membership`)."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from kedro_datasets.pandas import ParquetDataset
    from kedro_viz.models.flowchart.node_metadata import DataNodeMetadata
    from kedro_viz.models.flowchart.nodes import GraphNode

    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        catalog = session.load_context().catalog
    tables = [name for name in catalog if isinstance(catalog.get(name), ParquetDataset)]
    assert {"posts", "post_features", "post_clusters", "image_features"} <= set(tables)
    frame = pd.DataFrame({"post_id": ["a", "b"], "feature": [np.ones(4096), np.zeros(2)]})
    for name in tables:
        dataset = catalog.get(name)
        dataset.save(frame)
        node = GraphNode.create_data_node(
            dataset_id=name,
            dataset_name=name,
            layer=None,
            tags=set(),
            dataset=dataset,
            modular_pipelines=None,
        )
        panel = json.loads(DataNodeMetadata(data_node=node).model_dump_json())
        assert panel["preview_type"] == "TablePreview", name
        assert panel["preview"]["data"][1] == ["b", [0.0, 0.0]], name
