"""Overview page: counts, the ingestion report, when each output was made, image weights."""

import pandas as pd
import streamlit as st

from insta_kedro.app.catalog_reader import APP_OUTPUTS
from insta_kedro.app.components import (
    ENCODER_COLUMNS,
    load_characterizations,
    load_output,
    reader,
    warn_if_download_changed,
    warn_if_random_weights,
)
from insta_kedro.vision import NO_IMAGE


def outputs_table() -> pd.DataFrame:
    """One row per output: pipeline, whether it exists, when it was written, where."""
    catalog = reader()
    rows = []
    for status in catalog.status(APP_OUTPUTS):
        path = status.path
        if path is not None and path.is_relative_to(catalog.project_path):
            path = path.relative_to(catalog.project_path)
        rows.append(
            {
                "output": status.dataset,
                "pipeline": status.pipeline or "",
                "made": "yes" if status.exists else "no",
                "written (UTC)": (
                    status.modified.strftime("%Y-%m-%d %H:%M:%S") if status.modified else ""
                ),
                "file": str(path or ""),
            }
        )
    return pd.DataFrame(rows)


def _reasons(counts: dict | None) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted((counts or {}).items()) if v) or "—"


def _report_row(name: str, entry: dict) -> dict:
    return {
        "profile": name,
        "files seen": entry.get("files_seen", 0),
        "posts parsed": entry.get("posts_parsed", 0),
        "with caption": entry.get("posts_with_caption", 0),
        "skipped": _reasons(entry.get("skipped")),
        "ignored files": _reasons(entry.get("ignored_files")),
        "warnings": _reasons(entry.get("warnings")),
    }


def ingestion_table(report: dict) -> pd.DataFrame:
    """The ingestion report's counts, one row per profile and a last row of totals; reasons
    as ``reason: n``."""
    rows = [
        _report_row(profile, entry)
        for profile, entry in sorted((report.get("profiles") or {}).items())
    ]
    if report.get("totals"):
        rows.append(_report_row("(all)", report["totals"]))
    return pd.DataFrame(rows)


def skipped_files_table(report: dict) -> pd.DataFrame:
    """Every skipped file of the report (``profile/file``) with its reason."""
    named = (report.get("totals") or {}).get("skipped_files") or {}
    rows = [{"reason": reason, "file": file} for reason, files in named.items() for file in files]
    return pd.DataFrame(rows, columns=["reason", "file"])


def image_weights_table(image_features: pd.DataFrame) -> pd.DataFrame:
    """Per encoder: images encoded, posts without a usable image (``NO_IMAGE``: none was
    downloaded, or none decodes) and images that failed otherwise."""
    error = image_features["error"]
    counts = pd.DataFrame(
        {
            "encoder": image_features["encoder"].fillna("(none)"),
            "images": error.isna(),
            "no usable image": error == NO_IMAGE,
            "failed": error.notna() & (error != NO_IMAGE),
        }
    )
    return (
        counts.groupby("encoder", as_index=False)
        .sum()
        .astype({"images": int, "no usable image": int, "failed": int})
    )


def no_personas_reason(cluster_profiles: dict | None) -> str:
    """Why the run has no persona: the reason ``cluster_profiles`` gives for not clustering
    the profiles (too few of them), else that every profile is noise."""
    noise = ((cluster_profiles or {}).get("users") or {}).get("-1") or {}
    if noise.get("skipped"):
        return f"No personas: {noise['skipped']}."
    return (
        "No personas: every profile is noise to the clustering (`clustering_report.json` "
        "has its scores)."
    )


def render() -> None:
    st.title("Overview")
    catalog = reader()
    st.caption(f"Kedro project: `{catalog.project_path}` — read only, nothing is recomputed.")
    warn_if_random_weights()
    characterizations = load_characterizations(show_missing=False)
    if characterizations is not None:
        warn_if_download_changed(characterizations)

    posts = load_output("posts", columns=["has_caption"])
    if posts is not None:
        profiles = load_output("profiles", show_missing=False, columns=["profile"])
        image_features = load_output("image_features", show_missing=False, columns=ENCODER_COLUMNS)
        generated = load_output("generated_captions", show_missing=False, columns=["post_id"])
        user_clusters = load_output("user_clusters", show_missing=False, columns=["cluster"])
        columns = st.columns(5)
        columns[0].metric("profiles", "not made" if profiles is None else len(profiles))
        columns[1].metric("posts", len(posts))
        columns[2].metric("with caption", int(posts["has_caption"].sum()))
        ok_features = "not made"
        if image_features is not None:
            ok_features = int(image_features["error"].isna().sum())
        columns[3].metric("image features", ok_features)
        columns[4].metric("generated captions", "not made" if generated is None else len(generated))
        if user_clusters is not None:
            personas = sorted(set(user_clusters["cluster"]) - {-1})
            st.metric("personas (user clusters)", len(personas))
            if not personas and len(user_clusters):
                st.caption(no_personas_reason(load_output("cluster_profiles", show_missing=False)))

    st.subheader("Image weights")
    image_features = load_output("image_features", columns=ENCODER_COLUMNS)
    if image_features is not None:
        st.dataframe(image_weights_table(image_features), hide_index=True)

    st.subheader("Ingestion report")
    report = load_output("ingestion_report")
    if report is not None:
        source = report.get("source", "?")
        where = f" from `{report['folder']}`" if report.get("folder") else ""
        st.write(f"Source: **{source}**{where}")
        st.dataframe(ingestion_table(report), hide_index=True)
        skipped = skipped_files_table(report)
        if not skipped.empty:
            with st.expander(f"Skipped files ({len(skipped)})"):
                st.dataframe(skipped, hide_index=True)

    st.subheader("Outputs")
    st.dataframe(outputs_table(), hide_index=True)
