"""Every pipeline folder is registered and the default runs them all."""

import subprocess
import sys
from pathlib import Path

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


def test_every_pipeline_folder_is_registered():
    """The registry names its pipelines (PIPELINE_ORDER): a folder left out of it would run in
    no `kedro run`."""
    import insta_kedro.pipelines

    folders = {
        path.name
        for path in Path(insta_kedro.pipelines.__file__).parent.iterdir()
        if (path / "pipeline.py").is_file()
    }
    assert folders == set(PIPELINE_ORDER)


def test_ingestion_produces_the_contract_datasets():
    configure_project("insta_kedro")
    outputs = register_pipelines()["ingestion"].all_outputs()
    assert {"posts", "profiles", "follows", "ingestion_report"} <= outputs


HEAVY_LIBRARIES = ("tensorflow", "keras", "mlflow", "hdbscan", "plotly", "streamlit", "matplotlib")


def test_registering_the_pipelines_imports_no_heavy_library():
    """Kedro imports every nodes.py to list the pipelines: none may import a heavy library
    (they are imported on first use, docs/architecture.md)."""
    script = (
        "import sys\n"
        "from kedro.framework.project import configure_project\n"
        "configure_project('insta_kedro')\n"
        "from insta_kedro.pipeline_registry import register_pipelines\n"
        "register_pipelines()\n"
        f"print(sorted(m for m in {HEAVY_LIBRARIES!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
