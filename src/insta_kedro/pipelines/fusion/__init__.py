"""fusion: every signal of a post, fused by confidence; per-profile features."""

from insta_kedro.pipelines.fusion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
