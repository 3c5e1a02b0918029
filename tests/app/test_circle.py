"""Circle page: followers and followees compared with the person."""

from pathlib import Path

from tests.app.conftest import page_app, texts


def test_circle_page_without_outputs(app_project: Path, run_page):
    app = run_page("circle")
    assert "kedro run --pipelines=clustering" in texts(app)


def test_circle_page_compares_the_circle(project_with_outputs: Path, run_page):
    app = run_page("circle")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["followers downloaded"] == "2"
    assert metrics["similarity to followers"] == "0.62"
    assert metrics["similarity to followees"] == "—"
    assert len(app.get("plotly_chart")) == 2  # interests, personas of the circle

    app.selectbox[0].select("ben_hikes")
    run_page("circle", app)
    assert "No followers or followees of `ben_hikes` were downloaded" in texts(app)


def test_circle_page_follows_the_address(project_with_outputs: Path, run_page):
    app = page_app("circle")
    app.query_params["profile"] = "ben_hikes"
    run_page("circle", app)
    assert "No followers or followees of `ben_hikes` were downloaded" in texts(app)
    app.query_params["profile"] = "../ben_hikes"
    run_page("circle", app)
    assert "No such profile: `../ben_hikes`" in texts(app)
