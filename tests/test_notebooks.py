"""The notebook runs top to bottom against a project whose ingestion has run."""

import shutil

import nbformat
from nbclient import NotebookClient

from tests.conftest import PROJECT_ROOT


def test_explore_posts_notebook_runs(run_kedro, kedro_project, shared_instagram_dl):
    run_kedro(
        ["ingestion"], {"ingestion": {"source": "folder", "folder": str(shared_instagram_dl)}}
    )
    notebooks = kedro_project / "notebooks"
    notebooks.mkdir()
    shutil.copy(PROJECT_ROOT / "notebooks" / "explore_posts.ipynb", notebooks)

    notebook = nbformat.read(notebooks / "explore_posts.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=120, resources={"metadata": {"path": str(notebooks)}}
    ).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    results = [o for o in notebook.cells[3].outputs if o.output_type == "execute_result"]
    assert "kyliejenner" in results[0]["data"]["text/html"]
