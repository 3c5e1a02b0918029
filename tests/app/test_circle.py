"""Circle page: followers and followees compared with the person."""

import json
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
    assert "instaloader does not write them" in texts(app)  # the demo's report: no files


def test_circle_page_follows_the_address(project_with_outputs: Path, run_page):
    app = page_app("circle")
    app.query_params["profile"] = "ben_hikes"
    run_page("circle", app)
    assert "No followers or followees of `ben_hikes` were downloaded" in texts(app)
    app.query_params["profile"] = "../ben_hikes"
    run_page("circle", app)
    assert "No such profile: `../ben_hikes`" in texts(app)


def test_circle_page_says_when_a_list_could_not_be_downloaded(project_with_outputs: Path, run_page):
    path = project_with_outputs / "data" / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text(encoding="utf-8"))
    people["anna.cooks"]["circle"]["followers"]["list_known"] = False
    people["anna.cooks"]["circle"]["followees"]["list_known"] = True
    path.write_text(json.dumps(people), encoding="utf-8")

    app = run_page("circle")

    warning = " ".join(w.value for w in app.warning)
    assert "The followers list of `anna.cooks` was not downloaded" in warning
    # the demo's folder had no list files for her: instaloader writes none
    assert "has no `followers.json` / `followees.json`" in warning
    assert "instaloader does not write them" in warning
    assert not app.exception


def _report_of(project: Path, profile: str, **entry) -> None:
    """Set keys of ``profile``'s entry in the project's ingestion report."""
    path = project / "data" / "08_reporting" / "ingestion_report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    report["profiles"][profile].update(entry)
    path.write_text(json.dumps(report), encoding="utf-8")


def test_circle_page_says_why_a_person_has_no_circle(project_with_outputs: Path, run_page):
    """ben_hikes has no circle. Why, and what to do, comes from the ingestion report: not
    "set ingestion.download_follows" to a user who did, and whose lists Instagram refused."""
    app = page_app("circle")
    app.query_params["profile"] = "ben_hikes"

    outcome = {"status": "ok", "follows": {"followers": "unavailable", "followees": "unavailable"}}
    _report_of(project_with_outputs, "ben_hikes", download=outcome)
    run_page("circle", app)
    said = texts(app)
    assert "Instagram refused the followees and followers lists of `ben_hikes`" in said
    assert "follows_unavailable" in said and "download_follows" not in said

    outcome = {"status": "rate_limited", "follows": {"followers": "partial"}}
    _report_of(project_with_outputs, "ben_hikes", download=outcome)
    run_page("circle", app)
    said = texts(app)
    assert "The followers list of `ben_hikes` is not complete yet" in said
    assert "follows_partial" in said and "refused" not in said

    outcome = {"status": "ok", "message": "follows skipped: not logged in"}
    _report_of(project_with_outputs, "ben_hikes", download=outcome)
    run_page("circle", app)
    assert "asked for without a login" in texts(app) and "session_file" in texts(app)

    _report_of(project_with_outputs, "ben_hikes", download={"status": "ok", "message": ""})
    run_page("circle", app)
    assert "did not ask for the follow lists of `ben_hikes`" in texts(app)

    skipped = {"truncated_json": ["followers.json"], "invalid_follow_list": ["followees.json"]}
    _report_of(project_with_outputs, "ben_hikes", skipped_files=skipped, download={})
    run_page("circle", app)
    said = texts(app)
    assert "The follow lists of `ben_hikes` on disk could not be read" in said
    assert "invalid_follow_list: followees.json; truncated_json: followers.json" in said
    assert not app.exception


def test_circle_page_says_who_of_the_circle_is_not_compared(project_with_outputs: Path, run_page):
    """Accounts the lists name that were not downloaded, and downloaded ones without posts,
    are counted on the page, not silently left out."""
    path = project_with_outputs / "data" / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text(encoding="utf-8"))
    circle = people["anna.cooks"]["circle"]
    circle["followers"] = {**circle["followers"], "n_listed": 5003, "n_without_posts": 0}
    circle["followees"] = {**circle["followees"], "n_listed": 2, "n_without_posts": 1}
    path.write_text(json.dumps(people), encoding="utf-8")

    app = run_page("circle")

    metrics = {m.label: m.value for m in app.metric}
    assert metrics["followers downloaded"] == "2 of 5,003"
    assert metrics["followees downloaded"] == "2 of 2"
    said = texts(app)
    assert "5,001 of the 5,003 followers the lists name were not downloaded" in said
    assert "1 downloaded followee has no posts" in said
    assert "followees the lists name" not in said  # all 2 downloaded


def test_circle_page_says_when_a_list_holds_only_part_of_the_profiles_circle(
    project_with_outputs: Path, run_page
):
    """A celebrity's follower list cut at ingestion.max_follows names 2,000 of the 2.5 million
    followers the profile shows: the page says the circle it compares is only part of theirs,
    not that 2,000 accounts are all their followers."""
    path = project_with_outputs / "data" / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text(encoding="utf-8"))
    circle = people["anna.cooks"]["circle"]
    circle["followers"] = {
        **circle["followers"],
        "n_listed": 2000,
        "n_reported": 2_500_000,
        "list_known": True,
    }
    circle["followees"] = {
        **circle["followees"],
        "n_listed": 2,
        "n_reported": 2,
        "list_known": True,
    }
    path.write_text(json.dumps(people), encoding="utf-8")

    app = run_page("circle")

    said = texts(app)
    assert "The list holds 2,000 of the 2,500,000 followers the profile shows" in said
    assert "ingestion.max_follows" in said
    assert "followees the profile shows" not in said  # the whole list of 2
    assert not app.exception
