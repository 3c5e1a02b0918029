"""The character-level caption model: vocabulary, batches, network, training checkpoint,
decoding, metrics and MLflow tracking; the optional fused LSTM op in ``fused_lstm``.

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
            "check_decoding_settings",
            "decode_captions",
            "greedy_decode",
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
        "training_gate": [
            "NotTrained",
            "not_trained_reason",
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
