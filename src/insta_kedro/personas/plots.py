"""Figures of the clustering: 2-D maps (plotly), condensed trees and interest bars (matplotlib)."""

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are saved through the catalog, never shown

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.patches import Rectangle

from insta_kedro.personas.clustering import NOISE, PersonaClusterer
from insta_kedro.vision import encoder_warning

NOISE_COLOR = "#b0b0b0"
CAVEAT_COLOR = "#c0392b"


def encoder_caveat(*levels: Mapping[str, Any] | None) -> str | None:
    """The title line that warns of the image features behind the clusters of ``levels``
    (``cluster_profiles``' ``{"<cluster>": description}``, each with its ``image_encoders``):
    random VGG16 weights or mixed encoders (``vision.encoder_warning``); None when neither."""
    encoders = {
        e for level in levels for c in (level or {}).values() for e in c.get("image_encoders", [])
    }
    return encoder_warning(sorted(encoders), short=True)


def with_caveat(figure: plt.Figure, caveat: str | None) -> None:
    """Write ``caveat`` (:func:`encoder_caveat`) above ``figure`` in red, when there is one."""
    if caveat:
        figure.suptitle(caveat, color=CAVEAT_COLOR, fontsize=9)


def cluster_map(
    clusters: pd.DataFrame, key: str, profiles: dict[str, Any], title: str
) -> go.Figure:
    """Scatter of ``x``/``y`` coloured by cluster (noise grey), hover: id and probability;
    under ``title``, in red, the :func:`encoder_caveat` of the ``profiles`` (the level's
    ``cluster_profiles``) when there is one."""
    caveat = encoder_caveat(profiles)
    if caveat:
        title += f"<br><span style='color:{CAVEAT_COLOR};font-size:13px'>{caveat}</span>"
    figure = go.Figure()
    for cluster_id, group in clusters.dropna(subset=["x", "y"]).groupby("cluster"):
        cluster = int(cluster_id)
        label = (profiles.get(str(cluster)) or {}).get("label", f"cluster {cluster}")
        figure.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=f"{cluster}: {label}" if cluster != NOISE else "noise",
                text=group[key],
                customdata=group["probability"].round(3),
                hovertemplate="%{text}<br>probability %{customdata}<extra>%{fullData.name}</extra>",
                marker={"size": 7, **({"color": NOISE_COLOR} if cluster == NOISE else {})},
            )
        )
    figure.update_layout(
        title=title, xaxis_title="map x", yaxis_title="map y", template="plotly_white"
    )
    return figure


def cluster_maps(
    post_clusters: pd.DataFrame, user_clusters: pd.DataFrame, cluster_profiles: dict[str, Any]
) -> tuple[go.Figure, go.Figure]:
    """The 2-D maps (:func:`cluster_map`) of the posts and of the users, each cluster named by
    its label in ``cluster_profiles`` (``{"posts": {...}, "users": {...}}``)."""
    return (
        cluster_map(post_clusters, "post_id", cluster_profiles.get("posts") or {}, "Posts"),
        cluster_map(user_clusters, "profile", cluster_profiles.get("users") or {}, "Users"),
    )


def outline_selected_clusters(axes: plt.Axes, tree: Any) -> None:
    """Boxes around the clusters HDBSCAN selected.

    hdbscan's own ``select_clusters=True`` draws ellipses with an array height, which
    matplotlib 3.10 rejects; the box bounds come from the same plot data.
    """
    plot_data = tree.get_plot_data()
    bounds = plot_data["cluster_bounds"]
    lambdas = np.hstack([plot_data["bar_tops"], plot_data["bar_bottoms"]])
    top_limit = float(np.max(lambdas[np.isfinite(lambdas)])) if np.isfinite(lambdas).any() else 1.0
    for number, cluster in enumerate(tree._select_clusters()):
        left, right, bottom, top = (float(v) for v in bounds[cluster])
        top = min(top, top_limit) if np.isfinite(top) else top_limit
        axes.add_patch(
            Rectangle(
                (left, bottom),
                right - left,
                top - bottom,
                fill=False,
                edgecolor="tab:red",
                linewidth=1.5,
            )
        )
        axes.annotate(str(number), (left, bottom), color="tab:red", fontsize=8)


def condensed_tree_figure(
    clusterer: PersonaClusterer, title: str, caveat: str | None = None
) -> plt.Figure:
    """HDBSCAN's condensed tree with the selected clusters circled (a note when unfitted),
    ``caveat`` (:func:`encoder_caveat`) above it."""
    figure, axes = plt.subplots(figsize=(8, 5))
    model = clusterer.clusterer
    if model is None:
        axes.text(0.5, 0.5, f"no clustering: {clusterer.skipped}", ha="center", wrap=True)
        axes.set_axis_off()
    elif len(model.condensed_tree_.to_pandas()) == 0:
        axes.text(0.5, 0.5, "empty condensed tree", ha="center")
        axes.set_axis_off()
    else:
        tree = model.condensed_tree_
        tree.plot(axis=axes)
        outline_selected_clusters(axes, tree)
    axes.set_title(title)
    with_caveat(figure, caveat)
    figure.tight_layout()
    return figure


def condensed_trees(
    post_clusterer: PersonaClusterer,
    user_clusterer: PersonaClusterer,
    cluster_profiles: Mapping[str, Any] | None = None,
) -> tuple[plt.Figure, plt.Figure]:
    """The condensed trees (:func:`condensed_tree_figure`) of the post and of the user
    clustering, each with the :func:`encoder_caveat` of its level in ``cluster_profiles``."""
    profiles = cluster_profiles or {}
    return (
        condensed_tree_figure(
            post_clusterer, "Posts: HDBSCAN condensed tree", encoder_caveat(profiles.get("posts"))
        ),
        condensed_tree_figure(
            user_clusterer, "Users: HDBSCAN condensed tree", encoder_caveat(profiles.get("users"))
        ),
    )


def cluster_interest_figure(cluster_profiles: dict[str, Any]) -> plt.Figure:
    """Stacked bars of each cluster's top interests, one panel for posts and one for users,
    under the :func:`encoder_caveat` of both levels."""
    figure, panels = plt.subplots(1, 2, figsize=(13, 6))
    described = [p for level in cluster_profiles.values() for p in level.values()]
    categories = sorted({c for p in described for c in p["top_interests"]})
    palette = [*plt.get_cmap("tab20").colors, *plt.get_cmap("tab20b").colors]
    colors = {category: palette[i % len(palette)] for i, category in enumerate(categories)}
    for axes, level in zip(panels, ("posts", "users"), strict=True):
        described = list((cluster_profiles.get(level) or {}).values())
        names = [f"{p['cluster']}: {p['label']} ({p['size']})" for p in described]
        for row, profile in enumerate(described):
            left = 0.0
            for category, weight in profile["top_interests"].items():
                axes.barh(row, weight, left=left, color=colors[category], label=category)
                left += weight
        axes.set_yticks(range(len(names)), names, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.set_xlabel("interest share (top categories)")
        axes.set_title(f"{level}: interests per cluster")
        if not described:
            axes.text(0.5, 0.5, "no clusters", ha="center", transform=axes.transAxes)
    handles = {
        label: handle
        for axes in panels
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True)
    }
    if handles:
        figure.legend(handles.values(), handles.keys(), loc="lower center", ncol=7, fontsize=8)
    with_caveat(figure, encoder_caveat(*cluster_profiles.values()))
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure
