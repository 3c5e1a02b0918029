"""The sources of posts, each ending as one instaloader download folder that one parser reads.

- :func:`acquire_download`: the configured source (``demo``, ``folder`` or ``instaloader``)
  made an instaloader folder on disk: the generated demo, an existing download, or a live
  download of the listed profiles.
- :func:`parse_download`: that folder read into posts, profiles and follows, with a report
  that also gives each live download's outcome.
- :func:`report_metrics`: the report's totals as metrics, so that each tracked run says how
  many profiles and posts it read.
"""

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, assert_never, get_args

import pandas as pd

from insta_kedro.ingestion.demo import ensure_demo_download
from insta_kedro.ingestion.download import Backoff, InstagramLogin, download_profiles
from insta_kedro.ingestion.folder import is_profile_folder, parse_download_folder
from insta_kedro.ingestion.params import Source, Update

logger = logging.getLogger(__name__)

SOURCES: tuple[Source, ...] = get_args(Source)


def acquire_download(
    source: Source,
    *,
    demo_folder: str | Path | None = None,
    demo: Mapping[str, Any] | None = None,
    folder: str | Path | None = None,
    instagram_folder: str | Path | None = None,
    profiles: Iterable[str] | None = None,
    max_posts_per_profile: int | None = None,
    download_follows: bool = False,
    max_follows: int | None = None,
    follows_max_age_days: float | None = None,
    update: Update = "all",
    backoff: Mapping[str, float] | None = None,
    login: InstagramLogin | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make sure the ``source`` is an instaloader folder on disk.

    ``demo``: the demo download is generated into ``demo_folder`` with the settings ``demo``
    (``ensure_demo_download``'s), unless it exists. ``folder``: ``folder`` (``~`` expanded) is
    an existing download. ``instaloader``: ``profiles`` are downloaded into
    ``instagram_folder`` (``download_profiles`` with ``max_posts_per_profile``, ``login``,
    ``download_follows``, ``max_follows`` (each follow list's most accounts, None: all),
    ``follows_max_age_days`` (how long a complete follow list is kept, None: not kept),
    ``update`` and the ``backoff`` settings, :class:`Backoff`'s
    fields); ``ValueError`` when there are no profiles and
    no earlier download to parse, ``RuntimeError`` naming each profile's outcome when the
    folder still holds no profile. The settings are those of ``IngestionParams``, which
    checks them (a known ``source``, a ``folder`` for the folder source).

    Returns the raw download (``source``, ``folder`` and ``downloads``: for the live source,
    the outcome of each profile's download, else empty) and the demo ground truth (empty
    for real data).
    """
    if source == "demo":
        target = Path(demo_folder)
        ground_truth = ensure_demo_download(target, **(demo or {}))
        return {"source": source, "folder": str(target), "downloads": {}}, ground_truth
    if source == "folder":
        target = Path(folder).expanduser()
        return {"source": source, "folder": str(target), "downloads": {}}, {}
    if source == "instaloader":
        target = Path(instagram_folder)
        names = list(profiles or [])
        if not names and not has_profile_folders(target):
            raise ValueError(
                "ingestion.source is 'instaloader' but ingestion.profiles is empty and "
                f"{target} holds no earlier download: list the accounts in "
                "conf/local/parameters_ingestion.yml (ingestion: {profiles: [name, ...]})"
            )
        downloads = download_profiles(
            names,
            target,
            max_posts_per_profile=max_posts_per_profile,
            login=login,
            download_follows=bool(download_follows),
            max_follows=max_follows,
            follows_max_age_days=follows_max_age_days,
            update=update,
            backoff=Backoff(**backoff) if backoff else None,
        )
        if not has_profile_folders(target):
            outcomes = "; ".join(
                f"{name}: {outcome['status']} ({outcome['message']})"
                for name, outcome in downloads.items()
            )
            raise RuntimeError(
                f"no Instagram profile could be downloaded into {target}, so there is "
                f"nothing to parse: {outcomes}"
            )
        return {"source": source, "folder": str(target), "downloads": downloads}, {}
    assert_never(source)


def has_profile_folders(folder: Path) -> bool:
    """Whether the instaloader download ``folder`` holds any profile (False when it does not
    exist)."""
    return folder.is_dir() and any(is_profile_folder(path) for path in folder.iterdir())


def empty_profile_report() -> dict[str, Any]:
    """The report entry of a profile that has no folder (its download failed): all counts 0."""
    return {
        "files_seen": 0,
        "files_parsed": 0,
        "posts_parsed": 0,
        "posts_with_caption": 0,
        "skipped": {},
        "ignored_files": {},
    }


def private_folders(downloads: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The folder names of the profiles whose live download ``downloads`` (profile → outcome)
    found private and not followed (status ``private``): their folder's new name when the
    profile was renamed."""
    return {
        outcome.get("renamed_to", profile)
        for profile, outcome in downloads.items()
        if outcome.get("status") == "private"
    }


def parse_download(
    raw_download: Mapping[str, Any], max_posts_per_profile: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Parse the instaloader folder of ``raw_download`` (what :func:`acquire_download` returns).

    Keeps the newest ``max_posts_per_profile`` posts per profile (None: all). A profile that
    the live download found private (status ``private``: private and not followed) keeps its
    profile row, but the posts and follow lists on disk from when it was public are not read:
    their files count as skipped ``profile_private``. Returns posts, profiles, follows and the
    report: the parser's, with the ``source`` and, for a live download, ``downloads`` and each
    profile's ``download`` outcome, under the profile's folder (its new name when it was
    renamed; a profile whose download left no folder gets an entry with zero counts).
    """
    downloads = raw_download.get("downloads") or {}
    parsed = parse_download_folder(
        raw_download["folder"],
        max_posts_per_profile=max_posts_per_profile,
        private_profiles=private_folders(downloads),
    )
    report = {"source": raw_download["source"], **parsed.report}
    if downloads:
        report["downloads"] = downloads
        for profile, outcome in downloads.items():
            folder_name = outcome.get("renamed_to", profile)
            entry = report["profiles"].setdefault(folder_name, empty_profile_report())
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


def report_metrics(report: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """The totals of an ingestion ``report`` (what :func:`parse_download` returns) as metrics
    for MLflow, ``{name: {"value": number, "step": 0}}``: ``profiles``,
    ``profiles_without_posts``, ``posts``, ``posts_with_caption``, ``files_seen`` and
    ``files_skipped`` (all skipped files, whatever the reason)."""
    totals = report.get("totals") or {}
    values = {
        "profiles": totals.get("profiles", 0),
        "profiles_without_posts": totals.get("profiles_without_posts", 0),
        "posts": totals.get("posts_parsed", 0),
        "posts_with_caption": totals.get("posts_with_caption", 0),
        "files_seen": totals.get("files_seen", 0),
        "files_skipped": sum((totals.get("skipped") or {}).values()),
    }
    return {name: {"value": float(value), "step": 0} for name, value in values.items()}
