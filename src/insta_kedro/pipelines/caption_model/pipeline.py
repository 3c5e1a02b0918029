"""The caption_model pipeline: posts + image features → model, metrics, generated captions."""

from kedro.pipeline import Node, Pipeline

from insta_kedro.pipelines.caption_model.nodes import (
    build_caption_vocab,
    evaluate_caption_model,
    generate_captions,
    plot_loss_curve,
    prepare_caption_examples,
    train_caption_model,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=prepare_caption_examples,
                inputs=["posts", "image_features", "params:caption_model", "params:image_features"],
                outputs=["caption_examples", "caption_data_report"],
                name="prepare_caption_examples",
            ),
            Node(
                func=build_caption_vocab,
                inputs=["caption_examples", "params:caption_model"],
                outputs="caption_vocab",
                name="build_caption_vocab",
            ),
            Node(
                func=train_caption_model,
                inputs=[
                    "caption_examples",
                    "caption_vocab",
                    "caption_data_report",
                    "params:caption_model",
                ],
                outputs=["caption_model", "caption_training_history"],
                name="train_caption_model",
            ),
            Node(
                func=plot_loss_curve,
                inputs=["caption_training_history", "caption_data_report"],
                outputs="caption_loss_curve",
                name="plot_caption_loss_curve",
            ),
            Node(
                func=generate_captions,
                inputs=[
                    "caption_model",
                    "caption_examples",
                    "caption_vocab",
                    "params:caption_model",
                ],
                outputs="generated_captions",
                name="generate_captions",
            ),
            Node(
                func=evaluate_caption_model,
                inputs=[
                    "caption_model",
                    "caption_examples",
                    "caption_vocab",
                    "generated_captions",
                    "caption_data_report",
                    "caption_training_history",
                    "params:caption_model",
                ],
                outputs=["caption_metrics", "caption_samples"],
                name="evaluate_caption_model",
            ),
        ],
        tags="caption_model",
    )
