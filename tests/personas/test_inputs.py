"""The check that the clustering's inputs describe the same posts."""

import pandas as pd
import pytest

from insta_kedro.personas.inputs import check_features_describe_posts


def frame(post_ids: list[str], profiles: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"post_id": post_ids, "profile": profiles})


def test_the_same_posts_in_any_order_pass():
    posts = frame(["a1", "b1", "a2"], ["ann", "bob", "ann"])
    check_features_describe_posts(posts, frame(["a2", "a1", "b1"], ["ann", "ann", "bob"]))


def test_posts_added_since_fusion_are_named_with_what_to_run():
    posts = frame(["a1", "b1", "c1", "c2"], ["ann", "bob", "cat", "cat"])
    with pytest.raises(ValueError, match="kedro run") as raised:
        check_features_describe_posts(posts, frame(["a1", "b1"], ["ann", "bob"]))
    message = str(raised.value)
    assert "2 posts of `posts` have no `post_features` row (1 profile: cat)" in message


def test_posts_removed_since_fusion_are_named_with_their_profile():
    posts = frame(["a1"], ["ann"])
    with pytest.raises(ValueError, match="kedro run") as raised:
        check_features_describe_posts(posts, frame(["a1", "b1", "b2"], ["ann", "bob", "bob"]))
    assert "2 posts no longer in `posts` (1 profile: bob)" in str(raised.value)


def test_many_profiles_are_counted_and_a_few_named():
    posts = frame([f"p{i}" for i in range(30)], [f"user{i:02}" for i in range(30)])
    with pytest.raises(ValueError) as raised:
        check_features_describe_posts(posts, frame([], []))
    expected = "(30 profiles: user00, user01, user02, user03, user04, …)"
    assert f"30 posts of `posts` have no `post_features` row {expected}" in str(raised.value)
