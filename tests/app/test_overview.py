"""Overview page: counts, ingestion report, output times, image weights."""

from pathlib import Path

from tests.app.conftest import texts


def test_overview_without_outputs_says_which_run_to_do(app_project: Path, run_page):
    app = run_page("overview")
    shown = texts(app)
    assert "kedro run --pipelines=ingestion" in shown
    assert "kedro run --pipelines=image_features" in shown
    outputs = app.dataframe[-1].value
    assert set(outputs["made"]) == {"no"}


def test_overview_with_outputs(project_with_outputs: Path, run_page):
    app = run_page("overview")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["posts"] == "12"
    assert metrics["profiles"] == "3"
    assert metrics["with caption"] == "9"
    assert any("random VGG16 weights" in w.value for w in app.warning)
    tables = [d.value for d in app.dataframe]
    ingestion = next(t for t in tables if "posts parsed" in t.columns)
    assert ingestion.set_index("profile").loc["ben_hikes", "skipped"] == "orphan_media: 1"
    outputs = tables[-1].set_index("output")
    assert outputs.loc["posts", "made"] == "yes" and outputs.loc["posts", "written (UTC)"]
    assert outputs.loc["caption_model", "made"] == "no"
