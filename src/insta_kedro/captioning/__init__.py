"""The character-level caption model: examples and their split, vocabulary, batches,
network, training (resumable, gated on enough data), decoding and generation, evaluation
and metrics, the loss curve, MLflow tracking, and the typed ``caption_model`` parameters
(``params``); the optional fused LSTM op in ``fused_lstm``.

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "batches": [
            "batches_per_epoch",
            "caption_batches",
        ],
        "char_ngram": [
            "CharNgramModel",
        ],
        "checkpoint": [
            "TrainingCheckpoint",
        ],
        "decoding": [
            "beam_decode",
            "decode_captions",
            "greedy_decode",
        ],
        "evaluation": [
            "SAMPLE_COLUMNS",
            "evaluate_model",
            "shuffled_order",
        ],
        "examples": [
            "SPLITS",
            "UNCAPTIONED",
            "assign_splits",
            "encoder_weights",
            "has_caption",
            "prepare_examples",
            "split_arrays",
            "training_vocabulary",
        ],
        "generation": [
            "GENERATED_COLUMNS",
            "decode_texts",
            "generate_caption_table",
        ],
        "loss_curve": [
            "loss_curve_figure",
        ],
        "metrics": [
            "bits_per_character",
            "english_words",
            "text_metrics",
            "token_nats",
        ],
        "network": [
            "ARCHITECTURES",
            "MaskedSparseCategoricalCrossentropy",
            "build_caption_model",
            "build_packed_training_network",
            "build_step_model",
            "uses_fused_lstm",
        ],
        "params": [
            "Architecture",
            "AutoOrBool",
            "CaptionModelParams",
            "Decoder",
            "DropoutRate",
            "PositiveNumber",
            "SplitParams",
            "TopP",
            "Verbosity",
        ],
        "training": [
            "fit_caption_model",
            "new_caption_model",
            "packs_captions",
            "training_network",
        ],
        "training_gate": [
            "NotTrained",
            "not_trained_history",
            "not_trained_metrics",
            "not_trained_reason",
            "train_if_enough_data",
        ],
        "vocabulary": [
            "CaptionVocabulary",
            "STOP_ID",
            "UNK_ID",
            "build_vocabulary",
            "encode_captions",
        ],
    },
)
