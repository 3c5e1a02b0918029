"""text_features: what people write — per-caption features of own and generated captions."""

from insta_kedro.pipelines.text_features.pipeline import create_pipeline

__all__ = ["create_pipeline"]
