"""Nodes of the ingestion pipeline.

Every source ends as one instaloader download folder; one parser reads it.
"""

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from insta_kedro.ingestion import (
    InstagramLogin,
    download_profiles,
    ensure_demo_download,
    is_profile_folder,
    parse_download_folder,
)

logger = logging.getLogger(__name__)

SOURCES = ("demo", "folder", "instaloader")


def acquire_download(
    ingestion: dict[str, Any], instagram_login: InstagramLogin | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make sure the configured source is an instaloader folder on disk.

    Returns the raw download (its folder and, for the live source, the outcome
    of each profile's download) and the demo ground truth (empty for real data).
    """
    source = ingestion["source"]
    if source == "demo":
        folder = Path(ingestion["demo_folder"])
        ground_truth = ensure_demo_download(folder, **ingestion["demo"])
        return {"source": source, "folder": str(folder), "downloads": {}}, ground_truth
    if source == "folder":
        if not ingestion.get("folder"):
            raise ValueError(
                "ingestion.source is 'folder' but ingestion.folder is not set: "
                'pass --params="ingestion.folder=<path to an instaloader download>"'
            )
        folder = Path(ingestion["folder"]).expanduser()
        return {"source": source, "folder": str(folder), "downloads": {}}, {}
    if source == "instaloader":
        folder = Path(ingestion["instagram_folder"])
        profiles = list(ingestion.get("profiles") or [])
        if not profiles and not _has_profile_folders(folder):
            raise ValueError(
                "ingestion.source is 'instaloader' but ingestion.profiles is empty and "
                f"{folder} holds no earlier download: list the accounts in "
                "conf/local/parameters_ingestion.yml (ingestion: {profiles: [name, ...]})"
            )
        downloads = download_profiles(
            profiles,
            folder,
            max_posts_per_profile=ingestion.get("max_posts_per_profile"),
            login=instagram_login,
            download_follows=bool(ingestion.get("download_follows")),
            max_attempts=int(ingestion.get("max_attempts", 3)),
        )
        if not _has_profile_folders(folder):
            outcomes = "; ".join(
                f"{name}: {outcome['status']} ({outcome['message']})"
                for name, outcome in downloads.items()
            )
            raise RuntimeError(
                f"no Instagram profile could be downloaded into {folder}, so there is "
                f"nothing to parse: {outcomes}"
            )
        return {"source": source, "folder": str(folder), "downloads": downloads}, {}
    raise ValueError(f"ingestion.source must be one of {SOURCES}, got {source!r}")


def _has_profile_folders(folder: Path) -> bool:
    """Whether an instaloader download holds any profile (False when it does not exist)."""
    return folder.is_dir() and any(is_profile_folder(path) for path in folder.iterdir())


def _empty_profile_report() -> dict[str, Any]:
    """The report entry of a profile that has no folder (its download failed)."""
    return {
        "files_seen": 0,
        "files_parsed": 0,
        "posts_parsed": 0,
        "posts_with_caption": 0,
        "skipped": {},
        "ignored_files": {},
    }


def parse_download(
    raw_download: dict[str, Any], ingestion: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Parse the instaloader folder into posts, profiles, follows and the report."""
    parsed = parse_download_folder(
        raw_download["folder"], max_posts_per_profile=ingestion.get("max_posts_per_profile")
    )
    report = {"source": raw_download["source"], **parsed.report}
    downloads = raw_download.get("downloads") or {}
    if downloads:
        report["downloads"] = downloads
        for profile, outcome in downloads.items():
            entry = report["profiles"].setdefault(profile, _empty_profile_report())
            entry["download"] = outcome
    totals = report.get("totals", {})
    logger.info(
        "Ingested %s posts (%s with a caption) from %s profiles of %s",
        totals.get("posts_parsed"),
        totals.get("posts_with_caption"),
        totals.get("profiles"),
        raw_download["folder"],
    )
    return parsed.posts, parsed.profiles, parsed.follows, report
