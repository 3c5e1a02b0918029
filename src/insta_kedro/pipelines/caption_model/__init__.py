"""caption_model: train the character-level caption network, evaluate it, generate captions."""

from insta_kedro.pipelines.caption_model.pipeline import create_pipeline

__all__ = ["create_pipeline"]
