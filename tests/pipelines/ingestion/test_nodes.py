"""Nodes of the ingestion pipeline: the live source when there is nothing to download."""

from pathlib import Path

import pytest
import requests

from insta_kedro.pipelines.ingestion.nodes import acquire_download


def _live(folder: Path, profiles: list[str]) -> dict:
    return {
        "source": "instaloader",
        "instagram_folder": str(folder),
        "profiles": profiles,
        "max_posts_per_profile": None,
        "download_follows": False,
        "max_attempts": 1,
    }


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Instagram cannot be reached: every HTTP request fails to connect (and is recorded)."""
    requested: list[str] = []

    def refuse(_adapter, request, **_kwargs):
        requested.append(request.url)
        raise requests.ConnectionError(f"Failed to resolve '{request.url}'")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    return requested


def test_live_source_without_profiles_names_the_parameter(tmp_path, no_network):
    with pytest.raises(ValueError, match=r"ingestion\.profiles is empty"):
        acquire_download(_live(tmp_path / "instagram", []), None)
    assert no_network == []


def test_live_source_without_profiles_reparses_an_earlier_download(tmp_path, no_network):
    (tmp_path / "instagram" / "natgeo").mkdir(parents=True)

    raw, themes = acquire_download(_live(tmp_path / "instagram", []), None)

    assert raw == {"source": "instaloader", "folder": str(tmp_path / "instagram"), "downloads": {}}
    assert themes == {}
    assert no_network == []


def test_live_source_that_downloads_nothing_says_why_per_profile(tmp_path, no_network):
    with pytest.raises(RuntimeError, match="no Instagram profile could be downloaded") as error:
        acquire_download(_live(tmp_path / "instagram", ["kyliejenner", "therock"]), None)

    message = str(error.value)
    assert "kyliejenner: error (ConnectionException" in message
    assert "therock: error (ConnectionException" in message
    assert no_network


def test_live_source_keeps_an_earlier_download_when_the_network_fails(tmp_path, no_network):
    (tmp_path / "instagram" / "therock").mkdir(parents=True)

    raw, _ = acquire_download(_live(tmp_path / "instagram", ["therock"]), None)

    assert raw["folder"] == str(tmp_path / "instagram")
    assert raw["downloads"]["therock"]["status"] == "error"
