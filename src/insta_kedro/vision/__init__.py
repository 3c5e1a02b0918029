"""Images to features: decoding (``decoding``), the VGG16 encoder and its settings
(``encoder``, ``encoder_spec``), and the on-disk feature cache (``feature_cache``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "decoding": [
            "start_decoding",
        ],
        "encoder": [
            "DECODE_ERROR",
            "ImageEncoder",
            "encode_images",
            "load_encoder",
        ],
        "encoder_spec": [
            "EncoderSpec",
            "WeightsUnavailableError",
            "encoder_options",
            "resolve_encoder_spec",
        ],
        "feature_cache": [
            "FeatureCache",
        ],
        "file_hashes": [
            "hash_file",
        ],
        "tf_data": [
            "without_autotune_model",
        ],
    },
)
