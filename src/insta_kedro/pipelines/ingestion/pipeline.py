"""The ingestion pipeline: source → instaloader folder → posts, profiles, follows."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.ingestion.nodes import (
    acquire_download,
    parse_download,
    report_ingestion_metrics,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=acquire_download,
                inputs=["params:ingestion", "instagram_login"],
                outputs=["raw_download", "demo_themes"],
                name="acquire_download",
            ),
            Node(
                func=parse_download,
                inputs=["raw_download", "params:ingestion"],
                outputs=["posts", "profiles", "follows", "ingestion_report"],
                name="parse_download",
            ),
            Node(
                func=report_ingestion_metrics,
                inputs="ingestion_report",
                outputs="ingestion_metrics",
                name="report_ingestion_metrics",
            ),
        ],
        tags="ingestion",
    )
