"""Figures of the clustering: the 2-D maps coloured by cluster, the condensed tree with the
selected clusters boxed, and each cluster's top interests as stacked bars."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from insta_kedro.personas.clustering import NOISE, fit_persona_clusterer
from insta_kedro.personas.plots import (
    NOISE_COLOR,
    cluster_interest_figure,
    cluster_map,
    cluster_maps,
    condensed_tree_figure,
    condensed_trees,
)

PARAMS = {
    "normalize": False,
    "reduction": {"method": "pca", "n_components": 4},
    "hdbscan": {"min_cluster_size": 5, "min_samples": 1, "metric": "euclidean"},
}


def blobs(per_blob: int = 20) -> np.ndarray:
    """Three well separated blobs of 12-dimensional points."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), per_blob)
    return np.eye(3, 12)[labels] * 10 + rng.normal(scale=0.3, size=(len(labels), 12))


def clusters(key: str = "post_id") -> pd.DataFrame:
    return pd.DataFrame(
        {
            key: ["a", "b", "c", "d", "e"],
            "cluster": [0, 0, 1, NOISE, 1],
            "probability": [0.91234, 0.5, 1.0, 0.0, 0.25],
            "x": [0.0, 1.0, 2.0, 3.0, np.nan],  # e has no map position
            "y": [0.5, 1.5, 2.5, 3.5, 4.5],
        }
    )


def profile(cluster: int, label: str, size: int, interests: dict[str, float]) -> dict:
    return {"cluster": cluster, "label": label, "size": size, "top_interests": interests}


PROFILES = {
    "posts": {
        "-1": profile(-1, "noise", 1, {"music": 1.0}),
        "0": profile(0, "foodies", 2, {"food": 0.6, "travel": 0.3}),
        "1": profile(1, "travellers", 2, {"travel": 0.7, "pets": 0.2}),
    },
    "users": {"0": profile(0, "everyone", 4, {"food": 0.5, "pets": 0.5})},
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def red_boxes(axes) -> list[Rectangle]:
    red = to_rgba("tab:red")
    return [p for p in axes.patches if isinstance(p, Rectangle) and p.get_edgecolor() == red]


def test_the_map_has_one_trace_per_cluster_named_by_its_label_and_noise_grey():
    figure = cluster_map(clusters(), "post_id", PROFILES["posts"], "Posts")
    names = [trace.name for trace in figure.data]
    assert names == ["noise", "0: foodies", "1: travellers"]
    noise, foodies, travellers = figure.data
    assert noise.marker.color == NOISE_COLOR and foodies.marker.color is None
    assert list(foodies.x) == [0.0, 1.0] and list(foodies.y) == [0.5, 1.5]
    assert list(foodies.text) == ["a", "b"] and list(foodies.customdata) == [0.912, 0.5]
    assert list(travellers.text) == ["c"]  # e, without a position, is not drawn
    assert figure.layout.title.text == "Posts"


def test_a_cluster_without_a_profile_is_named_by_its_number():
    figure = cluster_map(clusters("profile"), "profile", {}, "Users")
    assert [trace.name for trace in figure.data] == ["noise", "0: cluster 0", "1: cluster 1"]
    assert list(figure.data[1].text) == ["a", "b"]


def test_the_maps_of_posts_and_users_take_their_own_labels():
    posts, users = cluster_maps(clusters(), clusters("profile"), {"users": PROFILES["users"]})
    assert isinstance(posts, go.Figure) and isinstance(users, go.Figure)
    assert [t.name for t in posts.data] == ["noise", "0: cluster 0", "1: cluster 1"]
    assert [t.name for t in users.data] == ["noise", "0: everyone", "1: cluster 1"]
    assert (posts.layout.title.text, users.layout.title.text) == ("Posts", "Users")


def test_the_condensed_tree_boxes_each_selected_cluster(tmp_path: Path):
    clusterer, result = fit_persona_clusterer(blobs(), PARAMS)
    assert result.n_clusters == 3
    figure = condensed_tree_figure(clusterer, "Posts: tree")
    axes = figure.axes[0]
    assert len(red_boxes(axes)) == 3
    assert sorted(text.get_text() for text in axes.texts) == ["0", "1", "2"]
    assert axes.get_title() == "Posts: tree"
    figure.savefig(tmp_path / "tree.png")  # draws every artist


def test_an_unfitted_clustering_shows_why_instead_of_a_tree():
    clusterer, _ = fit_persona_clusterer(blobs(per_blob=1), PARAMS)  # 3 points: too few
    figure = condensed_tree_figure(clusterer, "Users: tree")
    axes = figure.axes[0]
    assert [text.get_text() for text in axes.texts] == [f"no clustering: {clusterer.skipped}"]
    assert "fewer than HDBSCAN needs" in clusterer.skipped
    assert not axes.axison and red_boxes(axes) == []


def test_the_trees_of_posts_and_users_are_titled_by_level():
    fitted, _ = fit_persona_clusterer(blobs(), PARAMS)
    unfitted, _ = fit_persona_clusterer(blobs(per_blob=1), PARAMS)
    posts, users = condensed_trees(fitted, unfitted)
    assert posts.axes[0].get_title() == "Posts: HDBSCAN condensed tree"
    assert users.axes[0].get_title() == "Users: HDBSCAN condensed tree"


def test_interest_bars_stack_each_cluster_s_top_interests(tmp_path: Path):
    figure = cluster_interest_figure(PROFILES)
    posts, users = figure.axes
    assert [t.get_text() for t in posts.get_yticklabels()] == [
        "-1: noise (1)",
        "0: foodies (2)",
        "1: travellers (2)",
    ]
    assert [t.get_text() for t in users.get_yticklabels()] == ["0: everyone (4)"]
    # the bars of cluster 0 (row 1): food from 0 to 0.6, then travel from 0.6 to 0.9
    row_one = [
        (b.get_x(), b.get_width()) for b in posts.patches if b.get_y() + b.get_height() / 2 == 1
    ]
    assert row_one == [(0.0, 0.6), (0.6, pytest.approx(0.3))]
    assert posts.get_title() == "posts: interests per cluster"
    assert posts.get_xlim() == (0.0, 1.0)
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert sorted(legend) == ["food", "music", "pets", "travel"]  # each category once
    figure.savefig(tmp_path / "interests.png")


def test_a_category_has_the_same_colour_in_every_cluster_and_panel():
    posts, users = cluster_interest_figure(PROFILES).axes
    colours = {}
    for axes in (posts, users):
        for bars in axes.containers:  # one per bar drawn, labelled by its category
            colours.setdefault(bars.get_label(), set()).add(bars.patches[0].get_facecolor())
    assert sorted(colours) == ["food", "music", "pets", "travel"]
    assert all(len(found) == 1 for found in colours.values())
    assert len({next(iter(found)) for found in colours.values()}) == 4  # and its own


def test_every_category_of_the_lexicon_gets_a_colour_of_its_own():
    categories = [f"category_{i:02d}" for i in range(24)]  # more than one palette's 20
    posts = {
        str(i): {"cluster": i, "label": c, "size": 1, "top_interests": {c: 1.0}}
        for i, c in enumerate(categories)
    }
    figure = cluster_interest_figure({"posts": posts, "users": {}})
    colours = {
        bars.get_label(): bars.patches[0].get_facecolor() for bars in figure.axes[0].containers
    }
    assert sorted(colours) == categories
    assert len(set(colours.values())) == len(categories)


def test_a_level_without_clusters_says_so():
    figure = cluster_interest_figure({"posts": PROFILES["posts"], "users": {}})
    users = figure.axes[1]
    assert [t.get_text() for t in users.texts] == ["no clusters"]
    assert len(users.patches) == 0


def with_encoders(profiles: dict, encoders: dict[str, list[str]]) -> dict:
    """``profiles`` whose clusters of each level name the image ``encoders`` of that level."""
    return {
        level: {k: {**c, "image_encoders": encoders[level]} for k, c in clusters.items()}
        for level, clusters in profiles.items()
    }


def caveat_of(figure: plt.Figure) -> str | None:
    """The red line above a matplotlib figure, None without one."""
    return figure._suptitle.get_text() if figure._suptitle is not None else None


def test_every_plot_of_clusters_of_random_weights_features_says_so(tmp_path: Path):
    profiles = with_encoders(
        PROFILES, {"posts": ["vgg16-fc2-random"], "users": ["vgg16-fc2-random"]}
    )
    posts, users = cluster_maps(clusters(), clusters("profile"), profiles)
    for figure, level in ((posts, "Posts"), (users, "Users")):
        title = figure.layout.title.text
        assert title.startswith(f"{level}<br>")
        assert "RANDOM VGG16 weights (vgg16-fc2-random)" in title
    fitted, _ = fit_persona_clusterer(blobs(), PARAMS)
    trees = condensed_trees(fitted, fitted, profiles)
    interests = cluster_interest_figure(profiles)
    for figure in (*trees, interests):
        assert "RANDOM VGG16 weights (vgg16-fc2-random)" in caveat_of(figure)
        figure.savefig(tmp_path / "figure.png")


def test_a_plot_names_mixed_encoders_and_not_imagenet_ones():
    imagenet = with_encoders(
        PROFILES, {"posts": ["vgg16-fc2-imagenet"], "users": ["vgg16-fc2-imagenet"]}
    )
    posts, _ = cluster_maps(clusters(), clusters("profile"), imagenet)
    assert posts.layout.title.text == "Posts"
    assert caveat_of(cluster_interest_figure(imagenet)) is None
    fitted, _ = fit_persona_clusterer(blobs(), PARAMS)
    assert [caveat_of(f) for f in condensed_trees(fitted, fitted, imagenet)] == [None, None]
    mixed = with_encoders(
        PROFILES, {"posts": ["vgg16-fc2-imagenet"], "users": ["vgg16-fc2-random"]}
    )
    caveat = caveat_of(cluster_interest_figure(mixed))  # both levels in one figure
    assert "mixed encoders (vgg16-fc2-imagenet, vgg16-fc2-random)" in caveat
