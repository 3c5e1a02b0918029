"""Ingestion: any source of posts → one instaloader folder → posts, profiles, follows."""

from insta_kedro.pipelines.ingestion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
