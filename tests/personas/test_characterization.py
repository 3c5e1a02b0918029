"""Per-person characterization pieces: interests, posting, representative posts, circle."""

import numpy as np
import pandas as pd
import pytest

from insta_kedro.personas.characterization import (
    FollowLists,
    circle_summary,
    cosine,
    interest_support,
    interest_weights,
    posting_behaviour,
    representative_posts,
    user_characterizations,
)

INTERESTS = pd.DataFrame(
    {"food": [1.0, 0.0, 0.5, 0.0], "travel": [0.0, 1.0, 0.5, 0.0]},
    index=["ann", "bob", "cat", "dan"],
)
CLUSTERS = {"ann": 0, "bob": 1, "cat": 0, "dan": -1}
FOLLOWS = pd.DataFrame(
    {
        "follower": ["bob", "cat", "ann", "ann", "ann", "stranger"],
        "followee": ["ann", "ann", "bob", "outsider", "bob", "ann"],
    }
)


def test_cosine_and_interest_weights():
    assert cosine(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 1.0
    assert cosine(np.zeros(2), np.ones(2)) is None and cosine(np.ones(2), np.ones(3)) is None
    weights = interest_weights({"food": 0.2, "travel": 0.7, "pets": 0.0, "art": 0.1}, top_n=2)
    assert list(weights.items()) == [("travel", 0.7), ("food", 0.2)]


def test_interest_support_says_when_the_top_interest_rests_on_few_posts():
    interests = {"travel": 0.5, "family": 0.3}
    evidence = {"travel": {"posts": 3, "profile_category": None}, "family": {"posts": 20}}
    support = interest_support(interests, evidence, 60, min_share=0.1)
    assert support == {
        "interest": "travel",
        "posts": 3,
        "share": 0.05,
        "profile_category": False,
        "thin": True,
    }
    assert not interest_support(interests, evidence, 30, min_share=0.1)["thin"]  # 10 %
    said = {"travel": {"posts": 0, "profile_category": "Travel Company"}}
    assert not interest_support(interests, said, 60, min_share=0.1)["thin"]  # the profile
    assert interest_support({"travel": 1.0}, {}, 5, min_share=0.1)["posts"] == 0
    # two posts of twelve are a sixth of them, and still too few to tell
    few = {"travel": {"posts": 2, "profile_category": None}}
    assert not interest_support(interests, few, 12, min_share=0.1)["thin"]
    assert interest_support(interests, few, 12, min_share=0.1, min_posts=3)["thin"]
    three = {"travel": {"posts": 3, "profile_category": None}}
    assert not interest_support(interests, three, 12, min_share=0.1, min_posts=3)["thin"]
    said_few = {"travel": {"posts": 1, "profile_category": "Travel Company"}}
    assert not interest_support(interests, said_few, 12, 0.1, min_posts=3)["thin"]
    assert interest_support({}, evidence, 60, 0.1) is None
    assert interest_support(interests, evidence, 0, 0.1) is None


def test_posting_behaviour_of_a_person_without_posts():
    posting = posting_behaviour(None, 0)
    assert posting["posts"] == 0 and posting["engagement_rate"] is None
    assert posting["posts_per_week"] == 0.0 and posting["video_share"] == 0.0
    row = {"posts_per_week": 2.0, "engagement_rate": float("nan"), "video_share": 0.5}
    assert posting_behaviour(row, 3)["engagement_rate"] is None


def test_representative_posts_nearest_to_the_person_then_newest():
    posts = pd.DataFrame(
        {
            "post_id": ["p1", "p2", "p3"],
            "image_path": ["a.jpg", None, "c.jpg"],
            "caption": ["one", None, "three"],
            "generated_caption": [None, "gen two", np.nan],
            "taken_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
        }
    )
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]])
    chosen = representative_posts(posts, vectors, np.array([1.0, 0.0]), top_n=2)
    assert [p["post_id"] for p in chosen] == ["p1", "p3"]
    without_vectors = representative_posts(posts, np.zeros((3, 0)), None, top_n=6)
    assert [p["post_id"] for p in without_vectors] == ["p3", "p2", "p1"]
    assert without_vectors[1] == {
        "post_id": "p2",
        "image_path": None,
        "caption": "",
        "generated_caption": "gen two",
    }
    assert representative_posts(posts.iloc[:0], vectors[:0], None) == []


def test_representative_posts_without_vectors_newest_first_unknown_times_last():
    posts = pd.DataFrame(
        {
            "post_id": ["unknown", "old", "new", "new too", "unknown too"],
            "image_path": None,
            "caption": "",
            "generated_caption": None,
            "taken_at": pd.to_datetime(
                [None, "2024-01-01", "2024-03-01", "2024-03-01", None], utc=True
            ),
        }
    )
    chosen = representative_posts(posts, np.zeros((5, 0)), None, top_n=5)
    # equal times in the order of the table, then posts whose time is unknown
    assert [p["post_id"] for p in chosen] == ["new", "new too", "old", "unknown", "unknown too"]


def test_circle_among_downloaded_accounts():
    circle = circle_summary("ann", FOLLOWS, INTERESTS, CLUSTERS)
    assert circle["followers"]["n_listed"] == 3
    assert circle["followers"]["n_downloaded"] == 2  # bob and cat; "stranger" not downloaded
    assert circle["followers"]["interests"] == {"travel": 0.75, "food": 0.25}
    assert circle["followers"]["clusters"] == {"0": 0.5, "1": 0.5}
    assert circle["followees"]["n_listed"] == 2
    assert circle["followees"]["n_downloaded"] == 1  # bob once; "outsider" not downloaded
    assert circle["similarity_to_followees"] == 0.0
    assert circle["similarity_to_followers"] == round(0.25 / np.sqrt(0.625), 4)


def test_follow_lists_give_each_persons_accounts_once_in_order():
    lists = FollowLists.from_frame(FOLLOWS)
    assert lists.followers == {
        "ann": ["bob", "cat", "stranger"],
        "bob": ["ann"],
        "outsider": ["ann"],
    }
    assert lists.followees["ann"] == ["bob", "outsider"]  # bob once
    assert not lists.empty and FollowLists.from_frame(FOLLOWS.iloc[:0]).empty
    for person in ["ann", "bob", "dan"]:
        assert circle_summary(person, lists, INTERESTS, CLUSTERS) == circle_summary(
            person, FOLLOWS, INTERESTS, CLUSTERS
        )


def test_a_side_says_whether_the_persons_own_list_is_known():
    """Ann's follower list was unavailable: her followers side holds only the edges that
    other people's lists name, and says so."""
    lists_known = {"followers": False, "followees": True}
    circle = circle_summary("ann", FOLLOWS, INTERESTS, CLUSTERS, lists_known=lists_known)
    assert circle["followers"]["list_known"] is False
    assert circle["followees"]["list_known"] is True
    assert circle["followers"]["n_downloaded"] == 2


def test_circle_counts_the_downloaded_people_without_posts_apart():
    """A private or empty profile in the circle was downloaded, but has no posts: it counts as
    downloaded and without posts, and in neither the interests nor the personas."""
    follows = pd.DataFrame(
        {"follower": ["bob", "private.pat", "empty.ed"], "followee": ["ann", "ann", "ann"]}
    )
    downloaded = {"ann", "bob", "private.pat", "empty.ed"}
    circle = circle_summary("ann", follows, INTERESTS, CLUSTERS, downloaded=downloaded)
    assert circle["followers"] == {
        "n_listed": 3,
        "n_downloaded": 3,
        "n_without_posts": 2,
        "interests": {"travel": 1.0},
        "clusters": {"1": 1.0},  # bob's persona, not "noise" for the two without posts
        "n_reported": None,
        "list_known": None,
    }
    only_without_posts = circle_summary(
        "cat", follows.assign(followee="cat").iloc[1:], INTERESTS, CLUSTERS, downloaded=downloaded
    )
    assert only_without_posts["followers"] == {
        "n_listed": 2,
        "n_downloaded": 2,
        "n_without_posts": 2,
        "interests": {},
        "clusters": {},
        "n_reported": None,
        "list_known": None,
    }
    assert only_without_posts["similarity_to_followers"] is None


def test_circle_of_known_empty_lists_is_a_circle_of_nobody():
    """Lists that were downloaded and are empty say the person follows nobody and nobody
    follows them: a circle of no one, not an unknown circle."""
    known = {"followers": True, "followees": True}
    circle = circle_summary("ann", FOLLOWS.iloc[:0], INTERESTS, CLUSTERS, lists_known=known)
    assert circle["followers"]["n_listed"] == 0 and circle["followees"]["list_known"] is True
    unknown = {"followers": False, "followees": False}
    assert circle_summary("ann", FOLLOWS.iloc[:0], INTERESTS, CLUSTERS, lists_known=unknown) is None


def test_circle_says_how_many_the_profile_reports_beside_how_many_the_lists_name():
    """A celebrity's follower list cut at ingestion.max_follows (or given in part by
    Instagram) names a few of the millions the profile shows: each side keeps that count, so
    the few are not taken for the whole circle."""
    reported = {"followers": 2_500_000, "followees": 2}
    circle = circle_summary(
        "ann",
        FOLLOWS,
        INTERESTS,
        CLUSTERS,
        lists_known={"followers": True, "followees": True},
        reported=reported,
    )
    assert (circle["followers"]["n_listed"], circle["followers"]["n_reported"]) == (3, 2_500_000)
    assert (circle["followees"]["n_listed"], circle["followees"]["n_reported"]) == (2, 2)


def test_circle_edge_cases():
    assert circle_summary("ann", FOLLOWS.iloc[:0], INTERESTS, CLUSTERS) is None
    lonely = circle_summary("dan", FOLLOWS, INTERESTS, CLUSTERS)
    assert lonely["followers"] == {
        "n_listed": 0,
        "n_downloaded": 0,
        "n_without_posts": 0,
        "interests": {},
        "clusters": {},
        "n_reported": None,
        "list_known": None,
    }
    assert lonely["similarity_to_followers"] is None
    no_interests = circle_summary(
        "bob", pd.DataFrame({"follower": ["dan"], "followee": ["bob"]}), INTERESTS, CLUSTERS
    )
    assert no_interests["followers"]["interests"] == {}
    assert no_interests["followers"]["clusters"] == {"-1": 1.0}


def test_each_person_is_characterized_from_their_own_posts_wherever_they_are_in_the_table():
    # ann's and bob's posts interleaved, a post without a fused vector, cat without posts
    posts = pd.DataFrame(
        {
            "post_id": ["a1", "b1", "a2", "b2", "a3"],
            "profile": ["ann", "bob", "ann", "bob", "ann"],
            "taken_at": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], utc=True
            ),
            "caption": ["food one", "trip one", "food two", "trip two", "food three"],
            "image_path": None,
        }
    )
    vectors = {"a1": [1.0, 0.0], "b1": [0.0, 1.0], "a2": [0.9, 0.1], "b2": None, "a3": [0.2, 0.8]}
    post_features = pd.DataFrame({"post_id": list(vectors), "feature": list(vectors.values())})
    user_features = pd.DataFrame(
        {
            "profile": ["ann", "bob"],
            "feature": [np.array([1.0, 0.0]), np.array([0.0, 1.0])],
            "interest_food": [1.0, 0.0],
            "interest_travel": [0.0, 1.0],
            "posts_per_week": [1.5, 1.0],
            "image_encoder": ["vgg16-fc2-random", None],
        }
    )
    profiles = pd.DataFrame(
        {
            "profile": ["ann", "bob", "cat"],
            "full_name": ["Ann", "", None],
            "is_private": False,
            "followers": pd.array([1234, None, 5], dtype="Int64"),
            "followees": pd.array([321, 7, None], dtype="Int64"),
        }
    )
    characterizations = user_characterizations(
        posts,
        profiles,
        pd.DataFrame({"follower": ["bob"], "followee": ["ann"]}),
        post_features,
        user_features,
        pd.DataFrame({"profile": ["ann", "bob"], "cluster": [0, -1], "probability": [0.9, 0.0]}),
        {"users": {"0": {"label": "food"}}},
        pd.DataFrame({"post_id": ["b2"], "generated_caption": ["a road"]}),
        {"ann": {"food": {"terms": {"food": 3.0}, "posts": 3}}},
        {
            "characterization": {
                "top_interests": 3,
                "representative_posts": 2,
                "min_support_share": 0.1,
                "min_support_posts": 3,
            }
        },
    )
    assert list(characterizations) == ["ann", "bob", "cat"]
    ann, bob, cat = (characterizations[name] for name in ("ann", "bob", "cat"))
    assert [p["post_id"] for p in ann["representative_posts"]] == ["a1", "a2"]
    assert ann["posting"]["posts"] == 3 and ann["persona"]["label"] == "food"
    assert ann["interest_support"]["thin"] is False and ann["full_name"] == "Ann"
    assert ann["circle"]["followers"]["interests"] == {"travel": 1.0}
    # the profiles' own counts, beside the one follower the list names (None when unknown)
    assert (ann["circle"]["followers"]["n_listed"], ann["circle"]["followers"]["n_reported"]) == (
        1,
        1234,
    )
    assert ann["circle"]["followees"]["n_reported"] == 321
    assert bob["circle"]["followers"]["n_reported"] is None
    # b2 has no vector: nearest is b1, then b2 (newest of the rest), with its generated caption
    assert bob["representative_posts"] == [
        {"post_id": "b1", "image_path": None, "caption": "trip one", "generated_caption": None},
        {"post_id": "b2", "image_path": None, "caption": "trip two", "generated_caption": "a road"},
    ]
    assert bob["persona"]["label"] == "noise" and bob["full_name"] is None
    assert cat["posting"]["posts"] == 0 and cat["representative_posts"] == []
    assert cat["persona"]["label"] == "no posts" and cat["interests"] == {}
    # which encoders the image features of each person's posts came from
    assert (ann["image_encoders"], ann["image_encoder_weights"]) == (["vgg16-fc2-random"], "random")
    assert bob["image_encoders"] == cat["image_encoders"] == []


def test_posts_downloaded_after_fusion_stop_the_characterization_with_what_to_run():
    # ingestion ran again (cat's posts added) but fusion did not: post_features lacks them
    posts = pd.DataFrame(
        {
            "post_id": ["a1", "c1"],
            "profile": ["ann", "cat"],
            "taken_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
            "caption": ["food", "a trip"],
            "image_path": None,
        }
    )
    post_features = pd.DataFrame(
        {"post_id": ["a1"], "profile": ["ann"], "feature": [np.array([1.0, 0.0])]}
    )
    user_features = pd.DataFrame(
        {"profile": ["ann"], "feature": [np.array([1.0, 0.0])], "interest_food": [1.0]}
    )
    with pytest.raises(ValueError, match=r"1 posts of `posts` .*cat.*kedro run"):
        user_characterizations(
            posts,
            pd.DataFrame({"profile": ["ann", "cat"], "full_name": None}),
            pd.DataFrame(columns=["follower", "followee"]),
            post_features,
            user_features,
            pd.DataFrame({"profile": ["ann"], "cluster": [-1], "probability": [0.0]}),
            {"users": {}},
            pd.DataFrame(columns=["post_id", "generated_caption"]),
            {},
            {
                "characterization": {
                    "top_interests": 3,
                    "representative_posts": 2,
                    "min_support_share": 0.1,
                    "min_support_posts": 3,
                }
            },
        )
