"""Tests of what the demo contains: profiles and themes, the follow graph, the settings."""

import json
from collections import Counter

import numpy as np
import pytest

from insta_kedro.ingestion.demo.draw import demo_ground_truth
from insta_kedro.ingestion.demo.plan import (
    ACCOUNTS,
    OWNER_USERNAME,
    THEMES,
    _account,
    _mentionable,
    _plan_accounts,
)
from tests.ingestion.demo.conftest import POST_JSON, post_nodes, read_xz


def test_counts_of_profiles_posts_and_themes(download):
    folder, truth = download
    assert truth["themes"] == list(THEMES) and len(THEMES) >= 6
    assert len(truth["profiles"]) == 12
    assert Counter(truth["profiles"].values()) == {theme: 2 for theme in THEMES}
    assert sorted(path.name for path in folder.iterdir()) == sorted(truth["profiles"])
    for profile in truth["profiles"]:
        assert sum(bool(POST_JSON.match(p.name)) for p in (folder / profile).iterdir()) == 32
    posts = post_nodes(folder)
    assert len(posts) == len(truth["posts"]) == 384
    assert set(posts) == set(truth["posts"])
    assert set(truth["posts"].values()) == set(THEMES)
    for profile, theme in truth["profiles"].items():
        own = [sc for sc, (path, _) in posts.items() if path.parent.name == profile]
        on_theme = sum(truth["posts"][sc] == theme for sc in own) / len(own)
        assert 0.8 <= on_theme <= 0.9


def test_accounts_cycle_through_the_themes_and_get_a_suffix_past_the_list():
    per_theme = len(ACCOUNTS["food"])
    assert _account(0) == (*ACCOUNTS["food"][0], "food")
    assert _account(1)[3] == "fitness"
    username, *_, theme = _account(len(THEMES) * per_theme)
    assert (username, theme) == (f"{ACCOUNTS['food'][0][0]}_2", "food")
    names = [_account(index)[0] for index in range(3 * len(THEMES) * per_theme)]
    assert len(set(names)) == len(names)


def test_planned_accounts_split_the_schemas_and_carry_the_examples_once_per_schema():
    accounts = _plan_accounts(42, 7)
    assert [account.schema for account in accounts] == ["graphql"] * 4 + ["iphone"] * 3
    assert [account.carries_examples for account in accounts] == [
        True, False, False, False, True, False, False,
    ]  # fmt: skip
    assert all(OWNER_USERNAME in account.followers for account in accounts)
    assert OWNER_USERNAME in accounts[0].followees
    assert _plan_accounts(42, 7) == accounts
    mentionable = _mentionable(accounts)
    assert mentionable["*"] == [account.username for account in accounts]
    assert mentionable["food"] == [accounts[0].username, accounts[6].username]


def test_follow_graph_is_consistent_and_denser_within_a_theme(download):
    folder, truth = download
    follows = set()
    for profile in truth["profiles"]:
        followers = json.loads((folder / profile / "followers.json").read_text(encoding="utf-8"))
        followees = json.loads((folder / profile / "followees.json").read_text(encoding="utf-8"))
        assert OWNER_USERNAME in followers
        assert set(followers) | set(followees) <= set(truth["profiles"]) | {OWNER_USERNAME}
        follows |= {(name, profile) for name in followers}
        follows |= {(profile, name) for name in followees}
        user_id = (folder / profile / "id").read_text().strip()
        node = read_xz(folder / profile / f"{profile}_{user_id}.json.xz")["node"]
        # The lists hold the known part of the circle; the counts are the whole audience.
        assert node["edge_followed_by"]["count"] >= len(followers) + 800
        assert node["edge_follow"]["count"] >= len(followees) + 50
    for follower, followee in follows:  # each edge is in both lists
        if follower != OWNER_USERNAME:
            assert followee in json.loads((folder / follower / "followees.json").read_text())
        if followee != OWNER_USERNAME:
            assert follower in json.loads((folder / followee / "followers.json").read_text())
    assert not (folder / OWNER_USERNAME).exists()
    assert 0 < sum(followee == OWNER_USERNAME for _, followee in follows) < 12
    themes = truth["profiles"]
    pairs = [(a, b) for a in themes for b in themes if a != b]
    within = [(a, b) in follows for a, b in pairs if themes[a] == themes[b]]
    across = [(a, b) in follows for a, b in pairs if themes[a] != themes[b]]
    assert np.mean(within) > 2 * np.mean(across) > 0


@pytest.mark.parametrize(
    "settings", [{"n_profiles": 0}, {"posts_per_profile": 0}, {"image_size": 8}]
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ValueError, match=next(iter(settings))):
        demo_ground_truth(**settings)
