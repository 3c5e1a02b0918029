"""The sources of posts made one instaloader folder, and that folder parsed with its report."""

from pathlib import Path

import pytest

from insta_kedro.ingestion.sources import (
    SOURCES,
    acquire_download,
    empty_profile_report,
    has_profile_folders,
    parse_download,
    report_metrics,
)
from tests.ingestion.test_folder import (
    graphql_node,
    make_profile,
    write_json_xz,
    write_truncated_jpeg,
)


def _live(folder: Path, profiles: list[str]) -> tuple[dict, dict]:
    raw, themes = acquire_download(
        "instaloader",
        instagram_folder=folder,
        profiles=profiles,
        max_posts_per_profile=None,
        download_follows=False,
    )
    return raw, themes


def test_live_source_without_profiles_names_the_parameter(tmp_path, no_network):
    with pytest.raises(ValueError, match=r"ingestion\.profiles is empty"):
        _live(tmp_path / "instagram", [])
    assert no_network == []


def test_live_source_without_profiles_reparses_an_earlier_download(tmp_path, no_network):
    (tmp_path / "instagram" / "natgeo").mkdir(parents=True)

    raw, themes = _live(tmp_path / "instagram", [])

    assert raw == {"source": "instaloader", "folder": str(tmp_path / "instagram"), "downloads": {}}
    assert themes == {}
    assert no_network == []


def test_live_source_that_downloads_nothing_says_why_per_profile(tmp_path, no_network, no_pauses):
    with pytest.raises(RuntimeError, match="no Instagram profile could be downloaded") as error:
        _live(tmp_path / "instagram", ["kyliejenner", "therock"])

    message = str(error.value)
    assert "kyliejenner: error (ConnectionException" in message
    assert "therock: error (ConnectionException" in message
    assert no_network


def test_live_source_keeps_an_earlier_download_when_the_network_fails(
    tmp_path, no_network, no_pauses
):
    (tmp_path / "instagram" / "therock").mkdir(parents=True)

    raw, _ = _live(tmp_path / "instagram", ["therock"])

    assert raw["folder"] == str(tmp_path / "instagram")
    assert raw["downloads"]["therock"]["status"] == "error"


def test_folder_source_is_the_folder_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))

    raw, themes = acquire_download("folder", folder="~/download")

    assert raw == {"source": "folder", "folder": str(tmp_path / "download"), "downloads": {}}
    assert themes == {}


def test_the_sources_are_those_of_the_parameters():
    assert SOURCES == ("demo", "folder", "instaloader")


def test_only_visible_sub_folders_are_profiles(tmp_path):
    assert not has_profile_folders(tmp_path / "missing")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("not a profile")
    assert not has_profile_folders(tmp_path)
    (tmp_path / "natgeo").mkdir()
    assert has_profile_folders(tmp_path)


def test_the_report_gives_each_download_outcome_and_names_failed_profiles(tmp_path):
    folder = make_profile(tmp_path / "download", "anna.cooks")
    for day in range(3):
        write_json_xz(
            folder / f"2021-03-0{4 + day}_18-22-10_UTC.json.xz",
            graphql_node(f"P{day}", 1614882130 + day * 86400, f"Day {day} #run"),
        )
    outcomes = {
        "anna.cooks": {"status": "ok", "message": "3 posts"},
        "gone": {"status": "error", "message": "ProfileNotExistsException"},
    }
    raw = {"source": "instaloader", "folder": str(tmp_path / "download"), "downloads": outcomes}

    posts, profiles, follows, report = parse_download(raw, max_posts_per_profile=2)

    assert len(posts) == 2 and set(posts["profile"]) == {"anna.cooks"}
    assert report["source"] == "instaloader"
    assert report["downloads"] == outcomes
    assert report["profiles"]["anna.cooks"]["download"] == outcomes["anna.cooks"]
    assert report["profiles"]["anna.cooks"]["posts_parsed"] == 2
    assert report["profiles"]["gone"] == {**empty_profile_report(), "download": outcomes["gone"]}
    assert profiles["profile"].tolist() == ["anna.cooks"]
    assert follows.empty


def test_without_downloads_the_report_is_the_parsers(tmp_path):
    (tmp_path / "download" / "natgeo").mkdir(parents=True)

    *_, report = parse_download({"source": "folder", "folder": str(tmp_path / "download")})

    assert report["source"] == "folder"
    assert "downloads" not in report
    assert "download" not in report["profiles"]["natgeo"]


def test_the_reports_totals_are_the_runs_metrics(tmp_path):
    root = tmp_path / "download"
    anna = make_profile(root, "anna.cooks")
    write_json_xz(anna / "2021-03-04_18-22-10_UTC.json.xz", graphql_node("A1", caption="pasta"))
    write_json_xz(anna / "2021-03-05_18-22-10_UTC.json.xz", graphql_node("A2", caption=None))
    write_truncated_jpeg(anna / "2021-03-05_18-22-10_UTC.jpg")
    make_profile(root, "bob.private")

    *_, report = parse_download({"source": "folder", "folder": str(root)})

    assert report_metrics(report) == {
        "profiles": {"value": 2.0, "step": 0},
        "profiles_without_posts": {"value": 1.0, "step": 0},
        "posts": {"value": 2.0, "step": 0},
        "posts_with_caption": {"value": 1.0, "step": 0},
        "files_seen": {"value": 3.0, "step": 0},
        "files_skipped": {"value": 1.0, "step": 0},
    }
