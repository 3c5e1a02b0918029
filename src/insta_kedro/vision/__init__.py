"""Images to features: the posts' image hashes (``manifest``), decoding (``decoding``), the
VGG16 encoder and its settings (``encoder``, ``encoder_spec``), the on-disk feature cache
(``feature_cache``), the posts' features and labels through that cache (``features``),
the typed ``image_features`` parameters (``params``), and which encoders what was made from
image features rests on (``provenance``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "decoding": [
            "DECODED_FORMATS",
            "Header",
            "decodes",
            "read_header",
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
            "UnreadableCacheError",
        ],
        "features": [
            "FEATURE_COLUMNS",
            "FEATURE_SCHEMA",
            "LABEL_COLUMNS",
            "ImageEncodings",
            "encode_image_manifest",
            "used_encoders",
        ],
        "file_hashes": [
            "hash_file",
        ],
        "manifest": [
            "FILE_NOT_FOUND",
            "NO_IMAGE",
            "UNREADABLE_FILE",
            "build_image_manifest",
            "hash_image",
        ],
        "provenance": [
            "encoder_fields",
            "encoder_names",
            "encoder_report",
            "encoder_tags",
            "encoder_warning",
            "joined_encoders",
            "tag_active_run",
            "weights_of",
        ],
        "params": [
            "IMAGENET_CLASSES",
            "ImageFeaturesParams",
            "Layer",
            "Precision",
            "ResizeMode",
            "TopK",
        ],
        "tf_data": [
            "without_autotune_model",
        ],
    },
)
