"""Project settings: conf/local overrides single parameters and keeps the rest of conf/base;
the plots of the catalog are built only when asked for."""

import subprocess
import sys

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def test_local_parameters_override_single_keys_of_base(kedro_project):
    # the README's recipe for the live source: only `ingestion.profiles` in conf/local
    (kedro_project / "conf/local/parameters_ingestion.yml").write_text(
        "ingestion:\n  profiles: [natgeo]\n", encoding="utf-8"
    )
    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        ingestion = session.load_context().params["ingestion"]  # an IngestionParams

    assert ingestion.profiles == ["natgeo"]
    assert ingestion.source == "demo"
    assert ingestion.instagram_folder == str(kedro_project.resolve() / "data/01_raw/instagram")
    assert ingestion.demo.seed == 42


PLOTS = {
    "caption_loss_curve": "data/08_reporting/caption_loss_curve.png",
    "post_cluster_map": "data/08_reporting/post_cluster_map.html",
    "user_condensed_tree": "data/08_reporting/user_condensed_tree.png",
    "cluster_interests_plot": "data/08_reporting/cluster_interests.png",
}


def test_the_catalog_of_a_run_imports_no_plotting_library_until_a_plot_is_asked_for(
    kedro_project,
):
    """The plots are dataset factories: the catalog a session builds (kedro-mlflow's hooks
    walk every dataset in it) imports neither matplotlib nor plotly; asking for a plot by its
    contract name builds it, with its file."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kedro.framework.session import KedroSession\n"
        "from kedro.framework.startup import bootstrap_project\n"
        "bootstrap_project(Path.cwd())\n"
        "with KedroSession.create(project_path=Path.cwd()) as session:\n"
        "    catalog = session.load_context().catalog\n"
        "    print(sorted(m for m in ('matplotlib', 'plotly') if m in sys.modules))\n"
        f"    for name in {sorted(PLOTS)!r}:\n"
        "        print(name, catalog.get(name)._filepath)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        cwd=kedro_project,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[-len(PLOTS) - 1] == "[]", result.stdout
    for line in lines[-len(PLOTS) :]:
        name, filepath = line.split(" ", 1)
        assert filepath.endswith(PLOTS[name])
