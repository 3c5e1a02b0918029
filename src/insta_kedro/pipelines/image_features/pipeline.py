"""The image_features pipeline: posts → image hashes → VGG16 features and ImageNet labels."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.image_features.nodes import (
    encode_post_images,
    hash_post_images,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=hash_post_images,
                inputs="posts",
                outputs="image_manifest",
                name="hash_post_images",
            ),
            Node(
                func=encode_post_images,
                inputs=["image_manifest", "params:image_features", "params:engine"],
                outputs=["image_features", "image_labels"],
                name="encode_post_images",
            ),
        ],
        tags="image_features",
    )
