"""The app's entry point: the default page renders through st.navigation; what its first run
holds is left out of the garbage collector's walks."""

import gc
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

MAIN = find_spec("insta_kedro.app.main").origin


def test_main_serves_the_overview_first(project_with_outputs: Path):
    app = AppTest.from_file(MAIN, default_timeout=120).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    assert app.metric[0].label == "profiles"


def test_the_first_run_leaves_the_objects_alive_out_of_the_collector_s_walks(
    project_with_outputs: Path,
):
    """Streamlit collects all garbage after every script run: the app freezes (``gc.freeze``)
    what is alive at its first run, the imported modules above all, so no click walks it."""
    st.cache_resource.clear()  # as in a new server process
    alive = [{"imported": "module"}]  # a container the collector tracks
    assert any(tracked is alive for tracked in gc.get_objects())
    app = AppTest.from_file(MAIN, default_timeout=120).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not any(tracked is alive for tracked in gc.get_objects())


def test_the_app_starts_without_importing_keras():
    """Only Try a photo needs TensorFlow, and imports it when it loads its models."""
    script = (
        "import sys\n"
        "from insta_kedro.app import caption_model, circle, clusters, overview, person, try_photo\n"
        "print(sorted({'keras', 'tensorflow'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
