"""Nodes of the ingestion pipeline: the parameters reach the sources (the sources themselves
are tested in tests/ingestion/test_sources.py)."""

from pathlib import Path

import pytest

from insta_kedro.ingestion import IngestionParams
from insta_kedro.pipelines.ingestion.nodes import acquire_download, parse_download
from tests.pipelines.shipped_params import typed


def _live(folder: Path, profiles: list[str]) -> IngestionParams:
    return typed(
        IngestionParams,
        source="instaloader",
        instagram_folder=str(folder),
        profiles=profiles,
        max_posts_per_profile=None,
        download_follows=False,
    )


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


def test_demo_source_then_parse_keeps_the_newest_posts(tmp_path):
    demo = {"seed": 1, "n_profiles": 2, "posts_per_profile": 4, "image_size": 32}
    params = typed(
        IngestionParams,
        source="demo",
        demo_folder=str(tmp_path / "demo"),
        demo=demo,
        max_posts_per_profile=3,
    )

    raw, themes = acquire_download(params, None)
    posts, _, _, report = parse_download(raw, params)

    assert raw == {"source": "demo", "folder": str(tmp_path / "demo"), "downloads": {}}
    assert set(themes["profiles"]) == set(posts["profile"])
    assert posts.groupby("profile").size().tolist() == [3, 3]
    assert report["source"] == "demo" and "downloads" not in report
