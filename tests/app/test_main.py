"""The app's entry point: the default page renders through st.navigation."""

from importlib.util import find_spec
from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = find_spec("insta_kedro.app.main").origin


def test_main_serves_the_overview_first(project_with_outputs: Path):
    app = AppTest.from_file(MAIN, default_timeout=120).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    assert app.metric[0].label == "profiles"
