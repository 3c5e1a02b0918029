"""clustering: persona clusters of posts and users, and the characterization of each person."""

from insta_kedro.pipelines.clustering.pipeline import create_pipeline

__all__ = ["create_pipeline"]
