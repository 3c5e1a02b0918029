"""Nodes of the ingestion pipeline.

Every source ends as one instaloader download folder; one parser reads it
(``insta_kedro.ingestion.sources``). Both nodes take ``params:ingestion`` as an
``ingestion.IngestionParams``, which Kedro validates before any node runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insta_kedro import ingestion as ingestion_domain


def acquire_download(
    ingestion: ingestion_domain.IngestionParams,
    instagram_login: ingestion_domain.InstagramLogin | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make sure the configured source is an instaloader folder on disk.

    Returns the raw download (its folder and, for the live source, the outcome
    of each profile's download) and the demo ground truth (empty for real data).
    """
    return ingestion_domain.acquire_download(
        ingestion.source,
        demo_folder=ingestion.demo_folder,
        demo=ingestion.demo.model_dump(),
        folder=ingestion.folder,
        instagram_folder=ingestion.instagram_folder,
        profiles=ingestion.profiles,
        max_posts_per_profile=ingestion.max_posts_per_profile,
        download_follows=ingestion.download_follows,
        max_follows=ingestion.max_follows,
        follows_max_age_days=ingestion.follows_max_age_days,
        update=ingestion.update,
        backoff=ingestion.backoff.model_dump(),
        login=instagram_login,
    )


def parse_download(
    raw_download: dict[str, Any], ingestion: ingestion_domain.IngestionParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Parse the instaloader folder into posts, profiles, follows and the report."""
    return ingestion_domain.parse_download(
        raw_download, max_posts_per_profile=ingestion.max_posts_per_profile
    )


def report_ingestion_metrics(ingestion_report: dict[str, Any]) -> dict[str, Any]:
    """The report's totals (profiles, posts, skipped files) as MLflow metrics
    ``{name: {value, step}}``, so that the runs of a changed download tell apart."""
    return ingestion_domain.report_metrics(ingestion_report)
