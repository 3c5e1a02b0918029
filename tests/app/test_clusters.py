"""Clusters page: 2-D map by cluster and the cluster cards."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from insta_kedro.app.clusters import (
    MAX_EXEMPLAR_CAPTION,
    MAX_MAP_POINTS,
    MIN_MAP_POINTS_PER_CLUSTER,
    cluster_map,
    cluster_name,
    map_frame,
    map_sample,
)
from insta_kedro.app.components import shown_caption
from insta_kedro.personas.plots import NOISE_COLOR
from tests.app.conftest import spoil_column, texts, write_outputs


def test_clusters_page_without_outputs(app_project: Path, run_page):
    app = run_page("clusters")
    assert "`user_clusters` has not been made yet" in texts(app)
    assert "kedro run --pipelines=clustering" in texts(app)


def test_cluster_names():
    profiles = {"2": {"label": "travel"}}
    assert cluster_name(2, profiles) == "2: travel"
    assert cluster_name(-1, profiles) == "noise"
    assert cluster_name(5, profiles) == "5"


def test_cluster_map_paints_noise_grey_and_each_of_many_clusters_its_own_colour():
    clusters = pd.DataFrame(
        {
            "profile": [f"p{i}" for i in range(31)],
            "cluster": [-1, *range(30)],
            "x": range(31),
            "y": range(31),
            "probability": 1.0,
        }
    )
    profiles = {str(c): {"label": f"theme {c}"} for c in range(30)}
    figure = cluster_map(map_frame(clusters, profiles, "profile", None), "profile", "People")
    colours = {trace.name: trace.marker.color for trace in figure.data}
    assert colours.pop("noise") == NOISE_COLOR
    assert len(colours) == 30 and len(set(colours.values())) == 30
    assert NOISE_COLOR not in colours.values()


def test_clusters_page_people_and_posts(app_project: Path, run_page):
    outputs = write_outputs(app_project)
    app = run_page("clusters")
    charts = app.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    names = {trace["name"] for trace in figure["data"]}
    assert names == {"0: outdoor foodies", "noise"}
    shown = texts(app)
    assert "**0: outdoor foodies** — 2 profiles" in shown
    assert "`anna.cooks`" in shown

    app.radio[0].set_value("posts")
    run_page("clusters", app)
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert {t["name"] for t in figure["data"]} == {"0: food lovers", "1: hikers", "noise"}
    plotted = {row[0] for t in figure["data"] for row in t["customdata"]}  # post_id first
    assert plotted == set(outputs["posts"]["post_id"])
    assert "#tag0 #tag1" in texts(app)
    assert len(app.image) == 3  # exemplar images of clusters 0 (two) and 1 (one)


def test_the_posts_map_reads_only_the_columns_of_posts_it_shows(app_project: Path, run_page):
    outputs = write_outputs(app_project)
    for column in ("hashtags", "mentions", "taken_at"):
        spoil_column(app_project / "data/02_intermediate/posts.parquet", column)
    app = run_page("clusters")
    app.radio[0].set_value("posts")
    run_page("clusters", app)
    assert "cannot be read" not in texts(app)
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    plotted = {row[0] for t in figure["data"] for row in t["customdata"]}
    assert plotted == set(outputs["posts"]["post_id"])
    assert len(app.image) == 3


def test_post_exemplars_of_a_caption_only_download_show_their_captions(app_project: Path, run_page):
    outputs = write_outputs(app_project)
    posts = outputs["posts"].assign(image_path=None)
    posts.to_parquet(app_project / "data/02_intermediate/posts.parquet")
    app = run_page("clusters")
    app.radio[0].set_value("posts")
    run_page("clusters", app)
    assert len(app.image) == 0
    notes = [c.value for c in app.caption if c.value.endswith(": no photo in the download")]
    assert len(notes) == 3  # the exemplars of clusters 0 (two) and 1 (one)
    captions = {shown_caption(caption, MAX_EXEMPLAR_CAPTION) for caption in posts["caption"]}
    assert sum(text.value in captions for text in app.text) == 3  # each exemplar's caption
    assert "(no image to show)" not in texts(app)


def test_a_map_of_points_too_few_to_cluster_does_not_call_them_noise(app_project: Path, run_page):
    write_outputs(app_project)
    reason = "3 points: fewer than HDBSCAN needs to find a cluster"
    users_path = app_project / "data/07_model_output/user_clusters.parquet"
    users = pd.read_parquet(users_path).assign(cluster=-1, probability=0.0)
    users.to_parquet(users_path)
    path = app_project / "data/08_reporting/cluster_profiles.json"
    profiles = json.loads(path.read_text())
    profiles["users"] = {
        "-1": {"cluster": -1, "size": 3, "label": "not clustered", "skipped": reason}
    }
    path.write_text(json.dumps(profiles))

    app = run_page("clusters")
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == "People by cluster (3 not clustered)"
    assert f"Not clustered: {reason}." in texts(app)


def clusters_of_sizes(sizes: dict[int, int]) -> pd.DataFrame:
    """Post clusters with ``sizes[c]`` rows of cluster ``c``, shuffled, on a 2-D map."""
    cluster = np.repeat(list(sizes), list(sizes.values()))
    cluster = np.random.default_rng(1).permutation(cluster)
    return pd.DataFrame(
        {
            "post_id": [f"P{i}" for i in range(len(cluster))],
            "cluster": cluster,
            "probability": 1.0,
            "x": np.arange(len(cluster), dtype=float),
            "y": 0.0,
        }
    )


def test_a_map_of_few_points_draws_them_all():
    clusters = clusters_of_sizes({-1: 3, 0: 5})
    assert map_sample(clusters) is clusters


def test_a_map_of_many_points_draws_a_sample_of_every_cluster_in_proportion():
    sizes = {-1: 6_000, 0: 30_000, 1: 13_590, 2: 400, 3: 10}
    clusters = clusters_of_sizes(sizes)
    sample = map_sample(clusters, limit=5_000)
    drawn = sample["cluster"].value_counts().to_dict()
    assert drawn == {-1: 600, 0: 3_000, 1: 1_359, 2: MIN_MAP_POINTS_PER_CLUSTER, 3: 10}
    assert sample["post_id"].is_unique and set(sample["post_id"]) <= set(clusters["post_id"])
    assert sample.equals(map_sample(clusters, limit=5_000))  # the same points on a rerun


def test_the_posts_map_of_a_large_run_draws_a_sample_and_says_so(app_project: Path, run_page):
    write_outputs(app_project)
    clusters = clusters_of_sizes({-1: 2_500, 0: 30_000, 1: 7_500})
    clusters.to_parquet(app_project / "data/07_model_output/post_clusters.parquet")
    app = run_page("clusters")
    app.radio[0].set_value("posts")
    run_page("clusters", app)
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    points = sum(len(trace["x"]) for trace in figure["data"])
    assert points == MAX_MAP_POINTS
    title = figure["layout"]["title"]["text"]
    assert title == f"Posts by cluster (2,500 noise; {MAX_MAP_POINTS:,} of 40,000 drawn)"
