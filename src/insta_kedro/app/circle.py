"""Circle page: a person's followers and followees compared with the person."""

import pandas as pd
import plotly.express as px
import streamlit as st

from insta_kedro.app.components import load_output
from insta_kedro.app.person import chosen_person

SIDES = ("followers", "followees")


def interests_comparison(person: dict, circle: dict) -> pd.DataFrame:
    """Long frame ``category, group, weight`` for the person and each side of the circle."""
    groups = {"the person": person.get("interests") or {}}
    groups.update({side: (circle.get(side) or {}).get("interests") or {} for side in SIDES})
    rows = [
        {"category": category, "group": group, "weight": float(weight or 0.0)}
        for group, weights in groups.items()
        for category, weight in weights.items()
    ]
    table = pd.DataFrame(rows, columns=["category", "group", "weight"])
    if table.empty:
        return table
    top = table.groupby("category")["weight"].max().nlargest(12).index
    return table[table["category"].isin(top)]


def cluster_shares(circle: dict, cluster_labels: dict[str, str]) -> pd.DataFrame:
    """Share of followers and followees in each persona cluster."""
    rows = [
        {
            "cluster": f"{cluster}: {cluster_labels.get(str(cluster), '')}".rstrip(": "),
            "side": side,
            "share": float(share),
        }
        for side in SIDES
        for cluster, share in ((circle.get(side) or {}).get("clusters") or {}).items()
    ]
    return pd.DataFrame(rows, columns=["cluster", "side", "share"])


def downloaded_metric(side: dict) -> str:
    """How many of a side's accounts were downloaded: ``"3 of 5,003"``, or ``"3"`` where the
    characterization does not say how many accounts the lists name."""
    downloaded = int(side.get("n_downloaded") or 0)
    listed = side.get("n_listed")
    return f"{downloaded:,}" if listed is None else f"{downloaded:,} of {int(listed):,}"


def partial_list(side_name: str, side: dict) -> str | None:
    """The sentence saying that a side's list names fewer accounts than the profile shows (a
    list cut at ``ingestion.max_follows``, or one Instagram gave only part of), or None when
    it does not, or either count is unknown."""
    listed, reported = side.get("n_listed"), side.get("n_reported")
    if listed is None or reported is None or int(listed) >= int(reported):
        return None
    whose = "lists name" if side.get("list_known") is False else "list holds"
    return (
        f"The {whose} {int(listed):,} of the {int(reported):,} {side_name} the profile shows "
        "(a list cut at `ingestion.max_follows`, or one Instagram gave only part of): the "
        "others are not known, so this circle is only part of it."
    )


def left_out(side_name: str, side: dict) -> list[str]:
    """Sentences on the accounts of a side that are not compared: the side's accounts that no
    list names (:func:`partial_list`), those the lists name that were not downloaded, and
    those downloaded without posts (private or empty profiles)."""
    partial = partial_list(side_name, side)
    notes = [partial] if partial else []
    listed, downloaded = side.get("n_listed"), int(side.get("n_downloaded") or 0)
    if listed is not None and int(listed) > downloaded:
        notes.append(
            f"{int(listed) - downloaded:,} of the {int(listed):,} {side_name} the lists name "
            "were not downloaded: nothing is known about them."
        )
    without_posts = int(side.get("n_without_posts") or 0)
    if without_posts == 1:
        notes.append(
            f"1 downloaded {side_name.removesuffix('s')} has no posts (a private or empty "
            "profile): not in the interests nor the personas below."
        )
    elif without_posts:
        notes.append(
            f"{without_posts:,} downloaded {side_name} have no posts (private or empty "
            "profiles): not in the interests nor the personas below."
        )
    return notes


FOLLOW_FILES = ("followers.json", "followees.json")


def why_no_lists(profile: str, report: dict | None) -> str:
    """Why the ingestion read no follow list of ``profile``, from ``ingestion_report`` (its
    entry for the profile): the list files it skipped (and why), the lists Instagram refused
    or returned empty (``follows_unavailable``), the lists a "wait" answer stopped partway
    (``follows_partial``), a live download that asked for them without
    a login or did not ask for them, or a download without the files (instaloader writes
    none). Returns the sentence, saying what to do."""
    entry = ((report or {}).get("profiles") or {}).get(profile) or {}
    skipped = {
        reason: files
        for reason, files in (entry.get("skipped_files") or {}).items()
        if any(name in FOLLOW_FILES for name in files)
    }
    if skipped:
        reasons = "; ".join(
            f"{reason}: {', '.join(name for name in files if name in FOLLOW_FILES)}"
            for reason, files in sorted(skipped.items())
        )
        return (
            f"The follow lists of `{profile}` on disk could not be read ({reasons}): the "
            "ingestion report's `skipped_files` names them."
        )
    download = entry.get("download") or {}
    states = download.get("follows") or {}
    partial = sorted(side for side, state in states.items() if state == "partial")
    if partial:
        lists = "lists" if len(partial) > 1 else "list"
        return (
            f"The {' and '.join(partial)} {lists} of `{profile}` is not complete yet: "
            "Instagram asked to wait partway (`follows_partial` in the ingestion report, with "
            "how many accounts were fetched). Run the download again later: it goes on from "
            "where it stopped."
        )
    refused = sorted(side for side, state in states.items() if state != "known")
    if refused:
        lists, them = ("lists", "them") if len(refused) > 1 else ("list", "it")
        return (
            f"Instagram refused the {' and '.join(refused)} {lists} of `{profile}` or returned "
            f"none of {them} (`follows_unavailable` in the ingestion report, with Instagram's "
            "answer): nothing can be done from here; try again later."
        )
    if "follows skipped: not logged in" in str(download.get("message") or ""):
        return (
            f"The follow lists of `{profile}` were asked for without a login: Instagram shows "
            "them only to an account that is logged in. Set `instagram.session_file` in "
            "`conf/local/credentials.yml` (see the README) and run `kedro run` again."
        )
    if download:
        return (
            f"The live download did not ask for the follow lists of `{profile}`: set "
            "`ingestion.download_follows: true` (needs a login, see docs/app.md) and run "
            "`kedro run` again."
        )
    return (
        f"The download has no `followers.json` / `followees.json` for `{profile}`: instaloader "
        "does not write them. The live source does, with `ingestion.download_follows: true` "
        "(needs a login, see docs/app.md); or write them yourself (a JSON list of usernames)."
    )


def render() -> None:
    chosen = chosen_person("Circle", key="circle_profile")
    if chosen is None:
        return
    profile, person = chosen
    circle = person.get("circle")
    if not circle:
        report = load_output("ingestion_report", show_missing=False)
        st.info(
            f"No followers or followees of `{profile}` were downloaded, so there is no circle "
            f"to compare. {why_no_lists(profile, report)}"
        )
        return

    columns = st.columns(4)
    for i, side in enumerate(SIDES):
        stats = circle.get(side) or {}
        similarity = circle.get(f"similarity_to_{side}")
        columns[2 * i].metric(f"{side} downloaded", downloaded_metric(stats))
        columns[2 * i + 1].metric(
            f"similarity to {side}", "—" if similarity is None else f"{similarity:.2f}"
        )

    notes = [note for side in SIDES for note in left_out(side, circle.get(side) or {})]
    if notes:
        st.caption(" ".join(notes))

    unknown = [side for side in SIDES if (circle.get(side) or {}).get("list_known") is False]
    if unknown:
        report = load_output("ingestion_report", show_missing=False)
        st.warning(
            f"The {' and '.join(unknown)} list of `{profile}` was not downloaded: the counts "
            "above hold only the accounts whose own lists name them, not all of them. "
            + why_no_lists(profile, report)
        )

    comparison = interests_comparison(person, circle)
    if comparison.empty:
        st.caption("No interests to compare.")
    else:
        figure = px.bar(
            comparison,
            x="weight",
            y="category",
            color="group",
            barmode="group",
            orientation="h",
            title="Interests: the person and their circle",
        )
        figure.update_layout(yaxis={"categoryorder": "total ascending"}, height=480)
        st.plotly_chart(figure)

    profiles = load_output("cluster_profiles", show_missing=False) or {}
    labels = {k: v.get("label", "") for k, v in (profiles.get("users") or {}).items()}
    shares = cluster_shares(circle, labels)
    if not shares.empty:
        figure = px.bar(
            shares,
            x="cluster",
            y="share",
            color="side",
            barmode="group",
            title="Personas of the circle",
        )
        st.plotly_chart(figure)
