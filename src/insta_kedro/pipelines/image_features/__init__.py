"""Image features: VGG16 features and ImageNet labels per post, cached by image hash."""

from insta_kedro.pipelines.image_features.pipeline import create_pipeline

__all__ = ["create_pipeline"]
