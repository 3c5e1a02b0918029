"""The ``user_features`` rows: what each person's posts say, blended with their profile."""

import numpy as np
import pandas as pd
import pytest

from insta_kedro.fusion.users import build_user_features, evidence_shares, known_counts, user_rows
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
        person["min_interest_evidence"],
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


def test_no_posts_give_an_empty_table_with_every_column(fused_demo, lexicon, fusion_params):
    demo = fused_demo
    with_posts = user_features(
        demo.posts, demo.profiles, demo.post_features, demo.text_features, lexicon, fusion_params
    )
    users = user_features(
        demo.posts.iloc[:0],
        demo.profiles,
        demo.post_features.iloc[:0],
        demo.text_features.iloc[:0],
        lexicon,
        fusion_params,
    )
    assert users.empty
    assert list(users.columns) == list(with_posts.columns)


def test_evidence_below_the_minimum_leaves_the_rest_unknown():
    categories = ["food", "travel", "other"]
    evidence = np.array([[0.05, 0.02, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    shares = evidence_shares(evidence, 1.0, categories)
    # a gibberish caption's tiny evidence is no 100 % interest
    np.testing.assert_allclose(shares[0], [0.05, 0.02, 0.93])
    np.testing.assert_allclose(shares[1], [2 / 3, 1 / 3, 0.0])  # enough: as before
    np.testing.assert_array_equal(shares[2], [0.0, 0.0, 0.0])  # none: left to the profile
    np.testing.assert_allclose(shares[3], [0.5, 0.5, 0.0])  # exactly the minimum
    np.testing.assert_allclose(evidence_shares(evidence, 0.0, categories)[0], [5 / 7, 2 / 7, 0])
    without_other = evidence_shares(evidence, 1.0, ["food", "travel", "pets"])
    np.testing.assert_allclose(without_other[0], [0.05, 0.02, 0.0])


def test_a_person_with_little_evidence_is_mostly_unknown(fused_demo, lexicon, fusion_params):
    demo = fused_demo
    weak = demo.post_features.assign(
        confidence_interests=demo.post_features["confidence_interests"] * 0.01
    )
    strong = user_features(
        demo.posts, demo.profiles, demo.post_features, demo.text_features, lexicon, fusion_params
    )
    faint = user_features(
        demo.posts, demo.profiles, weak, demo.text_features, lexicon, fusion_params
    )
    assert (strong["top_interest"] != "other").all()
    assert (faint["top_interest"] == "other").all()


def test_rows_of_interleaved_posts_with_missing_parts():
    # bob's and ann's posts interleaved; a post with no fused vector, one missing from
    # post_features, one without a caption, one of unknown time.
    posts = pd.DataFrame(
        {
            "post_id": ["b1", "a1", "b2", "a2", "a3"],
            "profile": ["bob", "ann", "bob", "ann", "ann"],
            "taken_at": pd.to_datetime(
                ["2024-01-01", "2024-01-01", None, "2024-01-29", "2024-01-15"], utc=True
            ),
            "likes": pd.array([10, 4, None, 6, None], dtype="Int64"),
            "comments": pd.array([1, 0, 3, 0, 2], dtype="Int64"),
            "typename": ["GraphSidecar", "GraphImage", "GraphImage", "GraphVideo", "GraphImage"],
            "is_video": [False, False, False, True, None],
        }
    )
    post_features = pd.DataFrame(
        {
            "post_id": ["b1", "a1", "b2", "a2"],
            "profile": ["bob", "ann", "bob", "ann"],
            "feature": [np.array([1.0, 3.0], np.float32), None, None, np.array([2.0, 2.0])],
            "interest_food": [0.0, 1.0, 0.0, 0.5],
            "interest_travel": [1.0, 0.0, 0.0, 0.5],
            "confidence_interests": [1.0, 0.5, 0.0, 1.0],
        }
    )
    text_features = pd.DataFrame(
        {
            "post_id": ["b1", "a1", "b2", "a2", "a3"],
            "own_present": [1.0, 1.0, 0.0, 1.0, 1.0],
            "own_length": [10, 20, 0, 40, 30],
            "own_hashtag_count": [2, 0, 0, 1, 2],
            "own_is_english": [1.0, 1.0, 0.0, 0.0, 1.0],
            "own_sentiment": [0.5, 0.1, 0.0, -0.4, 0.3],
        }
    )
    profiles = pd.DataFrame({"profile": ["ann", "bob"], "followers": pd.array([2, None], "Int64")})
    rows = user_rows(posts, profiles, post_features, text_features).set_index("profile")
    assert rows.index.tolist() == ["ann", "bob"]
    ann, bob = rows.loc["ann"], rows.loc["bob"]
    assert ann["n_posts"] == 3 and bob["n_posts"] == 2
    np.testing.assert_array_equal(ann["feature"], np.array([2.0, 2.0], np.float32))
    np.testing.assert_array_equal(bob["feature"], np.array([1.0, 3.0], np.float32))
    # ann: a1 food × 0.5, a2 half and half × 1 (food 1.0, travel 0.5); a3 has no interests
    assert ann["interest_food"] == pytest.approx(2 / 3) and ann["top_interest"] == "food"
    assert ann["posts_with_interest_share"] == pytest.approx(2 / 3)
    assert bob["interest_travel"] == 1.0 and bob["top_interest"] == "travel"
    assert ann["posts_per_week"] == pytest.approx(3 / 4)  # 28 days
    assert bob["posts_per_week"] == 2.0  # one known time: a week at least
    assert ann["likes_per_post"] == 5.0 and ann["engagement_rate"] == 2.5
    assert np.isnan(bob["followers"]) and np.isnan(bob["engagement_rate"])
    assert bob["likes_per_post"] == 10.0 and bob["comments_per_post"] == 2.0
    assert ann["mean_caption_length"] == 30.0 and bob["mean_caption_length"] == 10.0
    assert bob["caption_share"] == 0.5 and bob["english_share"] == 1.0
    assert ann["mean_sentiment"] == pytest.approx(0.0) and bob["hashtags_per_post"] == 1.0
    assert bob["carousel_share"] == 0.5 and ann["video_share"] == pytest.approx(1 / 3)


def test_each_person_names_the_encoders_of_their_posts_image_features():
    posts = pd.DataFrame(
        {
            "post_id": ["b1", "a1", "b2", "a2", "c1"],
            "profile": ["bob", "ann", "bob", "ann", "cy"],
            "taken_at": pd.to_datetime(["2024-01-01"] * 5, utc=True),
            "likes": pd.array([1] * 5, dtype="Int64"),
            "comments": pd.array([0] * 5, dtype="Int64"),
            "typename": ["GraphImage"] * 5,
            "is_video": [False] * 5,
        }
    )
    post_features = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "profile": posts["profile"],
            "feature": [np.ones(2, np.float32)] * 5,
            "interest_food": 1.0,
            "confidence_interests": 1.0,
            # bob: a stale mix; ann: one post without an image feature; cy: none at all
            "image_encoder": [
                "vgg16-fc2-random",
                None,
                "vgg16-fc2-imagenet",
                "vgg16-fc2-random",
                None,
            ],
        }
    )
    text_features = pd.DataFrame({"post_id": posts["post_id"], "own_present": 0.0}).assign(
        own_length=0, own_hashtag_count=0, own_is_english=0.0, own_sentiment=0.0
    )
    profiles = pd.DataFrame({"profile": ["ann", "bob", "cy"], "followers": 10})
    rows = user_rows(posts, profiles, post_features, text_features).set_index("profile")
    assert rows["image_encoder"].to_dict() == {
        "ann": "vgg16-fc2-random",
        "bob": "vgg16-fc2-imagenet,vgg16-fc2-random",
        "cy": None,
    }
    older = user_rows(posts, profiles, post_features.drop(columns="image_encoder"), text_features)
    assert older["image_encoder"].isna().all()  # post_features of a run before the column
