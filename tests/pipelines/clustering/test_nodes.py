"""Every node of the clustering pipeline on small crafted data, including the edge cases:
everything noise, a single cluster, fewer people than min_cluster_size, a person with no posts.
"""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from insta_kedro import engine
from insta_kedro.personas import NO_POSTS_LABEL, NOT_CLUSTERED_LABEL, ClusteringParams
from insta_kedro.pipelines.clustering.nodes import (
    characterize_users,
    cluster_posts,
    cluster_users,
    describe_clusters,
    plot_cluster_interests,
    plot_cluster_maps,
    plot_condensed_trees,
    validate_clustering,
)
from tests.pipelines.shipped_params import changed, shipped, typed

THEMES = {"food": ("pasta", "foodie"), "travel": ("beach", "wanderlust"), "pets": ("puppy", "dog")}
CATEGORIES = ["food", "travel", "pets", "music"]
PARAMS_YAML = changed(
    shipped("clustering"),
    {
        "seed": 0,
        "posts.normalize": False,
        "posts.reduction.n_components": 4,
        "posts.hdbscan.min_cluster_size": 5,
        "users.normalize": False,
        "users.reduction.n_components": 3,
        "users.hdbscan.min_cluster_size": 2,
        "description": {
            "top_interests": 2,
            "top_terms": 3,
            "min_members": 2,
            "exemplars": 2,
        },
        "characterization": {
            "top_interests": 3,
            "representative_posts": 6,
            "min_support_share": 0.1,
            "min_support_posts": 3,
        },
    },
)
PARAMS = ClusteringParams.model_validate(PARAMS_YAML)
LOCAL = typed(engine.EngineParams)  # the shipped engine settings: local


def crafted(profiles_per_theme: int = 2, posts_per_profile: int = 8, seed: int = 0) -> dict:
    """Posts, features, profiles and follows of themed people, plus one person without posts."""
    rng = np.random.default_rng(seed)
    post_rows, feature_rows, user_rows, truth_posts, truth_users = [], [], [], {}, {}
    for t, (theme, (word, tag)) in enumerate(THEMES.items()):
        for p in range(profiles_per_theme):
            profile = f"{theme}{p}"
            truth_users[profile] = theme
            vectors = []
            for i in range(posts_per_profile):
                post_id = f"{profile}_{i}"
                truth_posts[post_id] = theme
                vector = np.eye(len(THEMES), 8)[t] * 5 + rng.normal(scale=0.3, size=8)
                vectors.append(vector)
                interests = {f"interest_{c}": float(c == theme) for c in CATEGORIES}
                post_rows.append(
                    {
                        "post_id": post_id,
                        "profile": profile,
                        "taken_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=i),
                        "caption": f"my {word} day #{tag}" if i % 4 else "",
                        "image_path": f"/data/{post_id}.jpg",
                    }
                )
                feature_rows.append(
                    {"post_id": post_id, "profile": profile, "feature": vector, **interests}
                )
            user_rows.append(
                {
                    "profile": profile,
                    "feature": np.mean(vectors, axis=0),
                    "n_posts": posts_per_profile,
                    **{f"interest_{c}": float(c == theme) for c in CATEGORIES},
                    "posts_per_week": 7.0,
                    "engagement_rate": np.nan,
                    "mean_caption_length": 15.0,
                    "hashtags_per_post": 0.75,
                    "carousel_share": 0.0,
                    "video_share": 0.125,
                    "caption_share": 0.75,
                }
            )
    posts = pd.DataFrame(post_rows)
    everyone = [*truth_users, "silent"]
    return {
        "posts": posts,
        "post_features": pd.DataFrame(feature_rows),
        "user_features": pd.DataFrame(user_rows),
        "profiles": pd.DataFrame(
            {
                "profile": everyone,
                "full_name": [*truth_users, None],
                "is_private": pd.array([False] * len(truth_users) + [True], dtype="boolean"),
            }
        ),
        "follows": pd.DataFrame(
            {"follower": ["food1", "travel0", "silent"], "followee": ["food0", "food0", "food0"]}
        ),
        "generated_captions": pd.DataFrame(
            {"post_id": ["food0_1"], "generated_caption": ["pasta!"], "mean_log_prob": [-1.0]}
        ),
        "demo_themes": {"posts": truth_posts, "profiles": truth_users},
        "interest_evidence": {
            "food0": {
                "food": {
                    "terms": {"pasta": 2.4},
                    "hashtags": {"#pastalove": 1.2},
                    "labels": {},
                    "posts": 6,
                    "profile_category": "Chef",
                },
                "travel": {
                    "terms": {"trip": 1.0},
                    "hashtags": {},
                    "labels": {},
                    "posts": 1,
                    "profile_category": None,
                },
            }
        },
    }


def run_all(data: dict, params: ClusteringParams = PARAMS) -> dict:
    """Every node in pipeline order, as Kedro would run them."""
    post_clusters, post_clusterer = cluster_posts(data["post_features"], params, LOCAL)
    user_clusters, user_clusterer = cluster_users(data["user_features"], params)
    report, metrics = validate_clustering(
        data["post_features"],
        data["user_features"],
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        data["demo_themes"],
        params,
    )
    profiles = describe_clusters(
        data["posts"],
        data["post_features"],
        data["user_features"],
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        params,
    )
    characterizations = characterize_users(
        data["posts"],
        data["profiles"],
        data["follows"],
        data["post_features"],
        data["user_features"],
        user_clusters,
        profiles,
        data["generated_captions"],
        data["interest_evidence"],
        params,
    )
    json.dumps([report, metrics, profiles, characterizations], allow_nan=False)  # valid JSON
    return {
        "post_clusters": post_clusters,
        "user_clusters": user_clusters,
        "post_clusterer": post_clusterer,
        "user_clusterer": user_clusterer,
        "report": report,
        "metrics": metrics,
        "profiles": profiles,
        "characterizations": characterizations,
    }


def with_params(**changes) -> ClusteringParams:
    """:data:`PARAMS` with HDBSCAN options changed (``posts__min_cluster_size=24``)."""
    paths = {}
    for path, value in changes.items():
        level, option = path.split("__")
        paths[f"{level}.hdbscan.{option}"] = value
    return ClusteringParams.model_validate(changed(PARAMS_YAML, paths))


@pytest.fixture(scope="module")
def themed() -> tuple[dict, dict]:
    data = crafted()
    return data, run_all(data)


def test_clusters_have_the_agreed_columns_and_recover_the_themes(themed):
    data, out = themed
    posts = out["post_clusters"]
    assert list(posts.columns[:6]) == [
        "post_id",
        "cluster",
        "probability",
        "x",
        "y",
        "outlier_score",
    ]
    assert posts["post_id"].tolist() == data["post_features"]["post_id"].tolist()
    assert posts["cluster"].dtype == np.int64 and posts[["x", "y"]].notna().all().all()
    users = out["user_clusters"]
    assert list(users.columns[:5]) == ["profile", "cluster", "probability", "x", "y"]
    assert out["report"]["posts"]["ground_truth"]["ari"] == 1.0
    assert out["report"]["users"]["ground_truth"]["ari"] == 1.0
    assert out["report"]["posts"]["stability"]["mean_ari"] > 0.9


def test_validation_report_and_mlflow_metrics(themed):
    _, out = themed
    report, metrics = out["report"], out["metrics"]
    assert report["posts"]["clusters"] == 3 and report["posts"]["noise_share"] == 0.0
    assert report["posts"]["fitted_on"] == 48 and report["posts"]["assigned"] == 0
    unsampled = {"sampled": False, "sample_size": 48}
    assert report["posts"]["sampling"] == dict.fromkeys(
        ("dbcv", "silhouette", "stability"), unsampled
    )
    assert report["posts"]["stability"]["sampled"] is False
    assert report["posts"]["dbcv"] > 0 and report["posts"]["silhouette"] > 0.5
    assert metrics["posts.truth_ari"] == {"value": 1.0, "step": 0}
    assert metrics["users.clusters"]["value"] == 3.0
    assert all(np.isfinite(m["value"]) for m in metrics.values())


def test_cluster_profiles_shape_terms_and_exemplars(themed):
    data, out = themed
    profiles = out["profiles"]
    assert set(profiles) == {"posts", "users"}
    by_interest = {next(iter(c["top_interests"])): c for c in profiles["posts"].values()}
    food = by_interest["food"]
    assert set(food) == {
        "cluster",
        "size",
        "label",
        "top_interests",
        "top_hashtags",
        "top_words",
        "exemplars",
        "image_encoders",
        "image_encoder_weights",
    }
    assert food["size"] == 16 and food["top_hashtags"] == ["foodie"]
    assert food["top_words"][0] == "pasta" and food["label"] == "food · #foodie · pasta"
    assert len(food["exemplars"]) == 2 and all(e.startswith("food") for e in food["exemplars"])
    user_profile = profiles["users"][
        str(out["user_clusters"].set_index("profile").loc["pets0", "cluster"])
    ]
    assert sorted(user_profile["exemplars"]) == ["pets0", "pets1"]
    assert user_profile["top_hashtags"] == ["dog"]


def test_characterizations_of_everyone_including_a_person_without_posts(themed):
    data, out = themed
    people = out["characterizations"]
    assert set(people) == {*data["user_features"]["profile"], "silent"}
    food0 = people["food0"]
    assert food0["interests"] == {"food": 1.0}
    # the evidence of each top interest only: travel is not among food0's interests
    assert food0["interest_evidence"] == {"food": data["interest_evidence"]["food0"]["food"]}
    assert (
        food0["persona"]["label"]
        == out["profiles"]["users"][str(food0["persona"]["cluster"])]["label"]
    )
    assert food0["posting"]["posts"] == 8 and food0["posting"]["engagement_rate"] is None
    assert len(food0["representative_posts"]) == 6
    generated = {p["post_id"]: p["generated_caption"] for p in food0["representative_posts"]}
    assert generated.get("food0_1", "pasta!") == "pasta!"
    circle = food0["circle"]
    # food1, travel0 and "silent", who has no posts: downloaded, not compared
    assert circle["followers"]["n_downloaded"] == 3
    assert circle["followers"]["n_without_posts"] == 1
    assert sum(circle["followers"]["clusters"].values()) == pytest.approx(1.0, abs=1e-3)
    assert circle["followees"] == {
        "n_listed": 0,
        "n_downloaded": 0,
        "n_without_posts": 0,
        "interests": {},
        "clusters": {},
        "n_reported": None,
        "list_known": None,
    }
    assert circle["similarity_to_followers"] == pytest.approx(0.7071, abs=1e-4)
    silent = people["silent"]
    assert silent["persona"] == {"cluster": -1, "probability": 0.0, "label": NO_POSTS_LABEL}
    assert silent["posting"]["posts"] == 0 and silent["representative_posts"] == []
    assert silent["interests"] == {} and silent["full_name"] is None
    assert silent["is_private"] is True and food0["is_private"] is False
    assert silent["circle"]["followees"]["n_downloaded"] == 1


def test_plots_are_figures(themed, tmp_path):
    _, out = themed
    post_map, user_map = plot_cluster_maps(
        out["post_clusters"], out["user_clusters"], out["profiles"]
    )
    assert isinstance(post_map, go.Figure) and len(post_map.data) == 3
    trees = plot_condensed_trees(out["post_clusterer"], out["user_clusterer"], out["profiles"])
    bars = plot_cluster_interests(out["profiles"])
    for index, figure in enumerate([*trees, bars]):
        assert isinstance(figure, plt.Figure)
        figure.savefig(tmp_path / f"{index}.png")  # draws every artist
        plt.close(figure)


@pytest.mark.parametrize("weights", ["random", "imagenet"])
def test_what_is_made_of_features_of_random_weights_says_so_and_of_imagenet_ones_not(weights):
    data = crafted()
    encoder = f"vgg16-fc2-{weights}"
    data["post_features"]["image_encoder"] = encoder
    data["user_features"]["image_encoder"] = encoder
    out = run_all(data)
    named = {"image_encoders": [encoder], "image_encoder_weights": weights}
    report = out["report"]
    assert {k: report[k] for k in named} == named
    clusters = [c for level in out["profiles"].values() for c in level.values()]
    assert all({k: c[k] for k in named} == named for c in clusters)
    people = out["characterizations"]
    assert all({k: people[p][k] for k in named} == named for p in data["user_features"]["profile"])
    assert people["silent"]["image_encoders"] == []  # no posts, no image feature
    post_map, _ = plot_cluster_maps(out["post_clusters"], out["user_clusters"], out["profiles"])
    trees = plot_condensed_trees(out["post_clusterer"], out["user_clusterer"], out["profiles"])
    figures = [*trees, plot_cluster_interests(out["profiles"])]
    caveats = [f._suptitle.get_text() if f._suptitle else None for f in figures]
    plt.close("all")
    if weights == "random":
        assert "RANDOM VGG16 weights" in report["image_encoder_warning"]
        assert "RANDOM VGG16 weights" in post_map.layout.title.text
        assert all("RANDOM VGG16 weights" in caveat for caveat in caveats)
    else:
        assert report["image_encoder_warning"] is None
        assert post_map.layout.title.text == "Posts" and caveats == [None, None, None]


def test_posts_above_max_fit_are_assigned_and_the_report_says_so():
    data = crafted()  # 48 posts of 3 themes
    yaml = changed(PARAMS_YAML, {"posts.max_fit": 20, "validation.max_points": 30})
    out = run_all(data, ClusteringParams.model_validate(yaml))
    report = out["report"]["posts"]
    assert report["fitted_on"] == out["post_clusterer"].fitted_on == 20
    assert report["assigned"] == out["post_clusterer"].assigned == 28
    assert out["post_clusters"]["cluster"].ne(-1).all()
    assert out["post_clusters"]["membership"].map(len).eq(3).all()
    assert report["ground_truth"]["ari"] == 1.0
    sampled = {"sampled": True, "sample_size": 30}
    assert report["sampling"] == dict.fromkeys(("dbcv", "silhouette", "stability"), sampled)
    assert report["stability"]["sampled"] is True and report["stability"]["sample_size"] == 30
    assert out["report"]["users"]["fitted_on"] == 6 and out["report"]["users"]["assigned"] == 0


def test_fewer_people_than_min_cluster_size():
    data = crafted(profiles_per_theme=1)
    out = run_all(data, with_params(users__min_cluster_size=5))
    users = out["user_clusters"]
    assert (users["cluster"] == -1).all() and (users["probability"] == 0).all()
    assert "fewer than HDBSCAN needs" in out["report"]["users"]["skipped"]
    assert out["report"]["users"]["dbcv"] is None and out["report"]["users"]["stability"] is None
    assert set(out["profiles"]["users"]) == {"-1"}
    not_clustered = out["profiles"]["users"]["-1"]
    assert not_clustered["label"] == NOT_CLUSTERED_LABEL
    assert not_clustered["skipped"] == out["report"]["users"]["skipped"]
    assert {p["persona"]["label"] for p in out["characterizations"].values()} == {
        NOT_CLUSTERED_LABEL,
        NO_POSTS_LABEL,
    }
    trees = plot_condensed_trees(out["post_clusterer"], out["user_clusterer"], out["profiles"])
    trees[1].savefig(pytest.importorskip("io").BytesIO())


def test_two_or_three_people_are_not_clustered_rather_than_noise():
    # min_cluster_size 2 needs two groups of 2 people: 3 people can only be "noise" to HDBSCAN,
    # which would read as "an outlier persona"; they are "not clustered", with the reason.
    out = run_all(crafted(profiles_per_theme=1))
    assert (out["user_clusters"]["cluster"] == -1).all()
    assert "fewer than HDBSCAN needs" in out["report"]["users"]["skipped"]
    assert out["profiles"]["users"]["-1"]["label"] == NOT_CLUSTERED_LABEL
    labels = {p: c["persona"]["label"] for p, c in out["characterizations"].items()}
    assert labels == {
        "food0": NOT_CLUSTERED_LABEL,
        "travel0": NOT_CLUSTERED_LABEL,
        "pets0": NOT_CLUSTERED_LABEL,
        "silent": NO_POSTS_LABEL,
    }


def test_everything_noise():
    data = crafted()
    rng = np.random.default_rng(3)
    data["post_features"]["feature"] = list(rng.uniform(size=(len(data["post_features"]), 8)))
    out = run_all(data, with_params(posts__min_cluster_size=24))
    assert (out["post_clusters"]["cluster"] == -1).all()
    report = out["report"]["posts"]
    assert report["skipped"] is None  # fitted: HDBSCAN found no cluster
    assert report["noise_share"] == 1.0 and report["dbcv"] is None and report["silhouette"] is None
    assert out["post_clusters"]["membership"].map(len).eq(0).all()
    assert list(out["profiles"]["posts"]) == ["-1"]
    assert "posts.dbcv" not in out["metrics"] and out["metrics"]["posts.noise_share"]["value"] == 1
    plot_cluster_interests(out["profiles"]).savefig(pytest.importorskip("io").BytesIO())


def test_a_single_cluster():
    data = crafted()
    rng = np.random.default_rng(4)
    data["post_features"]["feature"] = list(rng.normal(size=(len(data["post_features"]), 8)))
    out = run_all(data, with_params(posts__allow_single_cluster=True, posts__min_cluster_size=20))
    assert (
        set(out["post_clusters"]["cluster"]) <= {0, -1} and out["report"]["posts"]["clusters"] == 1
    )
    assert out["report"]["posts"]["silhouette"] is None and out["report"]["posts"]["dbcv"] is None
    assert "0" in out["profiles"]["posts"]


def test_posts_without_a_vector_are_noise_and_counted():
    data = crafted()
    data["post_features"].loc[[0, 1], "feature"] = None
    out = run_all(data)
    clusters = out["post_clusters"]
    assert clusters.loc[[0, 1], "cluster"].tolist() == [-1, -1]
    assert clusters.loc[[0, 1], ["x", "y"]].isna().all().all()
    assert out["report"]["posts"]["rows_without_vector"] == 2


def test_real_data_without_ground_truth():
    data = crafted()
    data["demo_themes"] = {}
    data["follows"] = data["follows"].iloc[:0]
    out = run_all(data)
    assert out["report"]["posts"]["ground_truth"] is None and out["report"]["ground_truth"] is None
    assert not any("truth" in name for name in out["metrics"])
    assert all(p["circle"] is None for p in out["characterizations"].values())


def test_describing_clusters_of_posts_that_changed_since_fusion_says_what_to_run(themed):
    # the download lost a person after fusion ran: their posts are still in post_features
    data, out = themed
    person = data["posts"]["profile"].iloc[0]
    posts = data["posts"][data["posts"]["profile"] != person]
    removed = rf"no longer in `posts` \(1 profile: {person}\).*kedro run"
    with pytest.raises(ValueError, match=removed):
        describe_clusters(
            posts,
            data["post_features"],
            data["user_features"],
            out["post_clusters"],
            out["user_clusters"],
            out["post_clusterer"],
            out["user_clusterer"],
            PARAMS,
        )
