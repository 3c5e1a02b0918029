"""Nodes of the ingestion pipeline: the parameters reach the sources (the sources themselves
are tested in tests/ingestion/test_sources.py)."""

import json
from pathlib import Path

import pytest

from insta_kedro.ingestion import IngestionParams
from insta_kedro.pipelines.ingestion.nodes import acquire_download, parse_download
from tests.ingestion.test_download import QUERY_FOLLOWEES, QUERY_FOLLOWERS, _session_login
from tests.pipelines.shipped_params import shipped, typed


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


def test_max_follows_caps_each_follow_list_of_a_live_download(tmp_path, fake_instagram, no_pauses):
    """A profile with thousands of followers (made-up names): ``ingestion.max_follows`` stops
    its list after that many, instead of asking Instagram for every page of it (12 accounts a
    page, about 200 pages per 11 minutes: days for a celebrity's millions)."""
    fake_instagram.page_size = 12  # as instaloader asks
    fans = [f"made_up_fan_{i}" for i in range(600)]
    fake_instagram.accounts["anna.cooks"]["followers"] = fans
    fake_instagram.accounts["anna.cooks"]["user"]["follower_count"] = len(fans)
    params = _live(tmp_path / "instagram", ["anna.cooks"]).model_copy(
        update={"download_follows": True, "max_follows": 30}
    )

    raw, _ = acquire_download(params, _session_login(tmp_path))

    followers = tmp_path / "instagram" / "anna.cooks" / "followers.json"
    assert json.loads(followers.read_text(encoding="utf-8")) == fans[:30]
    assert sum(QUERY_FOLLOWERS in request for request in fake_instagram.requests) == 3
    outcome = raw["downloads"]["anna.cooks"]
    assert outcome["follows"] == {"followers": "known", "followees": "known"}
    assert (
        "followers: 30 of the 600 the profile reports (ingestion.max_follows)"
        in (outcome["message"])
    )


def test_follow_lists_are_capped_unless_asked_otherwise():
    assert shipped("ingestion")["max_follows"] == 2000
    assert typed(IngestionParams, max_follows=None).max_follows is None


def test_a_rerun_keeps_the_follow_lists_it_fetched_within_the_week(
    tmp_path, fake_instagram, no_pauses
):
    """As shipped, ``ingestion.follows_max_age_days`` (7) keeps the follow lists of a run a
    week: the next run asks Instagram for none of their pages and still reads them."""
    assert shipped("ingestion")["follows_max_age_days"] == 7
    params = _live(tmp_path / "instagram", ["anna.cooks"]).model_copy(
        update={"download_follows": True}
    )
    acquire_download(params, _session_login(tmp_path))
    fake_instagram.requests.clear()

    raw, _ = acquire_download(params, _session_login(tmp_path))

    assert not any(
        QUERY_FOLLOWERS in request or QUERY_FOLLOWEES in request
        for request in fake_instagram.requests
    )
    assert raw["downloads"]["anna.cooks"]["follows"] == {"followers": "known", "followees": "known"}
    _, _, follows, _ = parse_download(raw, params)
    assert set(follows["follower"][follows["followee"] == "anna.cooks"]) == {
        "ben_hikes",
        "carla.private",
        "demo.fan",
    }


@pytest.mark.parametrize("days", [-1, "a week"])
def test_a_bad_follows_max_age_names_the_setting(days):
    with pytest.raises(ValueError, match="follows_max_age_days"):
        typed(IngestionParams, follows_max_age_days=days)


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
