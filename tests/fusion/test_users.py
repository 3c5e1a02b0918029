"""The ``user_features`` rows: what each person's posts say, blended with their profile."""

import numpy as np
import pandas as pd
import pytest

from insta_kedro.fusion.users import build_user_features, known_counts, user_rows
from insta_kedro.ingestion import parse_download_folder
from insta_kedro.personas import posting_behaviour
from tests.ingestion.test_folder import graphql_node, write_json_xz


def user_features(posts, profiles, post_features, text_features, lexicon, params):
    """``build_user_features`` with the shipped person settings and no category mapping."""
    person = params["person"]
    return build_user_features(
        posts,
        profiles,
        post_features,
        text_features,
        lexicon,
        {},
        person["profile_category_weight"],
        person["biography_weight"],
        person["persona_weights"],
        person["interest_sharpening"],
    )


def test_known_counts_are_floats_with_nan_where_unknown():
    counts = known_counts(pd.Series([3, None, "7", "hidden"], dtype=object))
    assert counts.dtype == np.float64
    assert counts.iloc[[0, 2]].tolist() == [3.0, 7.0]
    assert counts.iloc[[1, 3]].isna().all()


def test_user_features_summarize_each_profile(fused_demo, lexicon, fusion_params):
    demo = fused_demo
    posts, profiles, post_features = demo.posts, demo.profiles, demo.post_features
    users = user_features(
        posts, profiles, post_features, demo.text_features, lexicon, fusion_params
    )
    assert sorted(users["profile"]) == sorted(posts["profile"].unique())
    interests = users.filter(like="interest_").drop(columns="posts_with_interest_share")
    np.testing.assert_allclose(interests.sum(axis=1), 1.0)
    top = users.set_index("profile")["top_interest"]
    assert top.to_dict() == demo.themes["profiles"]
    one = users.set_index("profile").iloc[0]
    mine = posts[posts["profile"] == one.name]
    weeks = (mine["taken_at"].max() - mine["taken_at"].min()).total_seconds() / 604800
    assert one["posts_per_week"] == pytest.approx(len(mine) / max(weeks, 1))
    assert one["carousel_share"] == pytest.approx((mine["typename"] == "GraphSidecar").mean())
    followers = profiles.set_index("profile").loc[one.name, "followers"]
    assert one["engagement_rate"] == pytest.approx(mine["likes"].mean() / followers)
    assert len(one["feature"]) == len(post_features["feature"].iloc[0])
    assert len(one["persona_feature"]) > 0


def test_the_rows_before_the_profile_are_the_posts_alone(fused_demo, lexicon, fusion_params):
    demo = fused_demo
    rows = user_rows(demo.posts, demo.profiles, demo.post_features, demo.text_features)
    users = user_features(
        demo.posts, demo.profiles, demo.post_features, demo.text_features, lexicon, fusion_params
    )
    assert rows["profile"].tolist() == users["profile"].tolist()
    assert "persona_feature" not in rows
    behaviour = ["n_posts", "posts_per_week", "likes_per_post", "caption_share", "video_share"]
    pd.testing.assert_frame_equal(rows[behaviour], users[behaviour])
    interests = rows.filter(like="interest_").drop(columns="posts_with_interest_share")
    np.testing.assert_allclose(interests.sum(axis=1), 1.0)


def test_hidden_like_counts_and_no_profile_json_stay_unknown(
    tmp_path, describe_and_fuse, lexicon, fusion_params
):
    # Like counts hidden (instaloader writes -1) or absent, and no profile JSON: as
    # `instaloader --no-pictures --no-profile-pic` leaves a download of such accounts.
    for number, profile in enumerate(["hides.likes", "no.counts"]):
        folder = tmp_path / "download" / profile
        folder.mkdir(parents=True)
        for day in range(3):
            node = graphql_node(f"P{number}{day}", 1614882130 + day * 86400, f"Day {day} #run")
            node["owner"]["username"] = profile
            if profile == "hides.likes":
                node["edge_media_preview_like"]["count"] = -1
            else:
                del node["edge_media_preview_like"], node["edge_media_to_comment"]
            write_json_xz(folder / f"2021-03-0{4 + day}_18-22-10_UTC.json.xz", node)
    parsed = parse_download_folder(tmp_path / "download")
    assert parsed.posts["likes"].isna().all()
    text_features, post_features, _ = describe_and_fuse(parsed.posts)
    users = user_features(
        parsed.posts, parsed.profiles, post_features, text_features, lexicon, fusion_params
    )
    unknown = ["followers", "likes_per_post", "engagement_rate"]
    assert (users[unknown].dtypes == np.float64).all()
    assert users[unknown].isna().all().all()
    hides = users.set_index("profile").loc["hides.likes"]
    assert hides["comments_per_post"] == 2.0 and hides["n_posts"] == 3
    posting = posting_behaviour(hides.to_dict(), 3)
    assert posting["engagement_rate"] is None and posting["posts"] == 3


def test_a_profile_without_posts_has_no_row_and_is_named_in_the_log(
    fused_demo, lexicon, fusion_params, caplog
):
    demo = fused_demo
    hidden = pd.concat([demo.profiles, demo.profiles.iloc[[0]].assign(profile="hidden.one")])
    with caplog.at_level("INFO"):
        users = user_features(
            demo.posts, hidden, demo.post_features, demo.text_features, lexicon, fusion_params
        )
    assert "hidden.one" not in set(users["profile"])
    assert "no posts" in caplog.text and "hidden.one" in caplog.text


def test_no_posts_give_an_empty_table(fused_demo, lexicon, fusion_params):
    demo = fused_demo
    users = user_features(
        demo.posts.iloc[:0],
        demo.profiles,
        demo.post_features,
        demo.text_features,
        lexicon,
        fusion_params,
    )
    assert users.empty
