"""Clusters page: a 2-D map of people or posts by cluster, and one card per cluster."""

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from insta_kedro.app.components import (
    load_output,
    plain_markdown,
    show_image,
    shown_caption,
    warn_if_random_weights,
)
from insta_kedro.personas import NOT_CLUSTERED_LABEL
from insta_kedro.personas.plots import NOISE_COLOR

KINDS = {
    "people": ("user_clusters", "users", "profile"),
    "posts": ("post_clusters", "posts", "post_id"),
}
POST_COLUMNS = ("post_id", "profile", "caption", "image_path")  # of posts, for the map and cards
MAX_EXEMPLAR_IMAGES = 4
MAX_EXEMPLAR_CAPTION = 160  # characters of an exemplar post's caption shown without its photo
# The map draws at most about this many points (a browser slows down and a map cannot be read
# with more): a sample of each cluster, in proportion to its size, with at least
# MIN_MAP_POINTS_PER_CLUSTER of each (or all of a smaller one).
MAX_MAP_POINTS = 20_000
MIN_MAP_POINTS_PER_CLUSTER = 50
# One colour per cluster up to 48 clusters (plotly's default cycles through 10); noise is
# grey, as in the maps of the MLflow run.
CLUSTER_COLORS = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24


def cluster_name(cluster: int, profiles: dict) -> str:
    """``3: travel & food`` (the label of ``cluster_profiles``); for -1 ``noise``, or
    ``not clustered`` when there were too few points to cluster."""
    label = (profiles.get(str(int(cluster))) or {}).get("label")
    if int(cluster) == -1:
        return label if label == NOT_CLUSTERED_LABEL else "noise"
    return f"{int(cluster)}: {label}" if label else str(int(cluster))


def map_sample(clusters: pd.DataFrame, limit: int = MAX_MAP_POINTS) -> pd.DataFrame:
    """The rows of ``clusters`` the map draws: all of them up to ``limit``, else a sample.

    Takes the clusters' rows (a ``cluster`` column) and the most points to draw. Returns the
    rows themselves when there are at most ``limit``; else, for each cluster (noise too), a
    share of its rows in proportion to its size, and at least
    :data:`MIN_MAP_POINTS_PER_CLUSTER` (all of a smaller cluster), so that every cluster
    shows. The sample is the same on every rerun (a fixed seed).
    """
    if len(clusters) <= limit:
        return clusters
    sizes = clusters["cluster"].value_counts()
    wanted = (sizes * (limit / len(clusters))).round().astype(int)
    wanted = wanted.clip(lower=sizes.clip(upper=MIN_MAP_POINTS_PER_CLUSTER))
    rng = np.random.default_rng(0)
    order = rng.permutation(len(clusters))  # a random rank of each row within its cluster
    rank = pd.Series(order).groupby(clusters["cluster"].to_numpy()).rank(method="first")
    keep = rank.to_numpy() <= clusters["cluster"].map(wanted).to_numpy()
    return clusters[keep]


def map_frame(
    clusters: pd.DataFrame, profiles: dict, id_column: str, posts: pd.DataFrame | None
) -> pd.DataFrame:
    """The clusters' rows with a ``cluster name`` and, for posts, the profile and caption."""
    frame = clusters.copy()
    frame["cluster name"] = [cluster_name(c, profiles) for c in frame["cluster"]]
    if id_column == "post_id" and posts is not None:
        columns = ["post_id", "profile", "caption"]
        details = posts.loc[posts["post_id"].isin(frame["post_id"]), columns]
        details = details.assign(caption=details["caption"].str.slice(0, 80))
        frame = frame.merge(details, on="post_id", how="left")
    return frame.sort_values("cluster")


def map_title(kind: str, clusters: pd.DataFrame, profiles: dict, drawn: int) -> str:
    """``People by cluster (2 noise)``: the points of cluster -1 counted by their name
    (``noise``, or ``not clustered`` when there were too few to cluster), and
    ``20,000 of 400,000 drawn`` when the map draws a sample of the ``clusters`` rows."""
    outside = int((clusters["cluster"] == -1).sum())
    counts = [f"{outside:,} {cluster_name(-1, profiles)}" if outside else "0 noise"]
    if drawn < len(clusters):
        counts.append(f"{drawn:,} of {len(clusters):,} drawn")
    return f"{kind.capitalize()} by cluster ({'; '.join(counts)})"


def cluster_map(frame: pd.DataFrame, id_column: str, title: str):
    hover = [c for c in (id_column, "profile", "caption", "probability") if c in frame]
    figure = px.scatter(
        frame,
        x="x",
        y="y",
        color="cluster name",
        hover_data=hover,
        title=title,
        height=560,
        color_discrete_sequence=CLUSTER_COLORS,
        color_discrete_map={"noise": NOISE_COLOR, NOT_CLUSTERED_LABEL: NOISE_COLOR},
    )
    figure.update_traces(marker={"size": 9 if id_column == "profile" else 6})
    return figure


def render_card(
    profile: dict, kind: str, image_paths: dict[str, str], captions: dict[str, str]
) -> None:
    cluster = profile.get("cluster")
    with st.container(border=True):
        st.markdown(
            f"**{plain_markdown(cluster_name(cluster, {str(cluster): profile}))}** —"
            f" {profile.get('size', 0)}"
            f" {'profiles' if kind == 'people' else 'posts'}"
        )
        if profile.get("skipped"):
            st.caption(f"Not clustered: {profile['skipped']}.")
        interests = profile.get("top_interests") or {}
        if interests:
            st.write(
                "Interests: " + ", ".join(f"{k} ({float(v):.2f})" for k, v in interests.items())
            )
        hashtags = profile.get("top_hashtags") or []
        if hashtags:
            st.write("Hashtags: " + " ".join(f"#{tag.lstrip('#')}" for tag in hashtags))
        words = profile.get("top_words") or []
        if words:
            st.write("Words: " + ", ".join(words))
        exemplars = profile.get("exemplars") or []
        if kind == "people":
            st.write("Exemplars: " + (", ".join(f"`{e}`" for e in exemplars) or "—"))
        elif exemplars:
            columns = st.columns(MAX_EXEMPLAR_IMAGES)
            for column, post_id in zip(columns, exemplars[:MAX_EXEMPLAR_IMAGES], strict=False):
                with column:
                    if not show_image(image_paths.get(post_id), caption=post_id):
                        st.text(
                            shown_caption(captions.get(post_id), MAX_EXEMPLAR_CAPTION)
                        )  # the post without it


def render() -> None:
    st.title("Clusters")
    kind = st.radio("Show", list(KINDS), horizontal=True)
    dataset, profiles_key, id_column = KINDS[kind]
    loaded = [load_output(dataset), load_output("cluster_profiles")]
    if any(value is None for value in loaded):
        return
    clusters, cluster_profiles = loaded
    warn_if_random_weights()
    profiles = cluster_profiles.get(profiles_key) or {}
    posts = None
    if id_column == "post_id":
        posts = load_output("posts", show_missing=False, columns=POST_COLUMNS)

    if clusters.empty:
        st.info(f"`{dataset}` is empty: there was nothing to cluster.")
    elif {"x", "y"} <= set(clusters.columns):
        frame = map_frame(map_sample(clusters), profiles, id_column, posts)
        title = map_title(kind, clusters, profiles, len(frame))
        st.plotly_chart(cluster_map(frame, id_column, title))
    else:
        st.warning(f"`{dataset}` has no `x`/`y` map coordinates: the map cannot be drawn.")

    st.subheader("Clusters")
    image_paths, captions = {}, {}
    if posts is not None:
        exemplars = {e for profile in profiles.values() for e in profile.get("exemplars") or []}
        shown = posts[posts["post_id"].isin(exemplars)]
        image_paths = dict(zip(shown["post_id"], shown["image_path"], strict=True))
        captions = dict(zip(shown["post_id"], shown["caption"], strict=True))
    ordered = sorted(
        profiles.values(), key=lambda p: (int(p.get("cluster", 0)) == -1, -int(p.get("size", 0)))
    )
    if not ordered:
        st.caption("No cluster profiles.")
    for profile in ordered:
        render_card(profile, kind, image_paths, captions)
