"""What encoder a run uses: VGG16's layer, weights (ImageNet, a local file or seeded random
ones) and precision, with the ``allow_random_weights`` policy.

``resolve_encoder_spec`` has Keras download the ImageNet weights once into
``~/.keras/models`` (Keras's own cache, the file checked by its md5 on download and whenever
``keras.applications.VGG16`` is built from it). The ``EncoderSpec`` it
returns names everything a feature depends on: its ``cache_key`` keys the feature cache, its
``name`` goes into the ``encoder`` column.
"""

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from insta_kedro.vision.decoding import IMAGE_SIZE, PREPROCESSING_VERSION
from insta_kedro.vision.file_hashes import hash_file
from insta_kedro.vision.params import Layer, Precision, ResizeMode

logger = logging.getLogger(__name__)

VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
VGG16_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + VGG16_WEIGHTS_FILE
)
VGG16_WEIGHTS_MD5 = "64373286793e3c8b2b4e3219cbf3544b"  # the hash Keras checks the download by
FEATURE_SIZES: dict[Layer, int] = {"fc2": 4096, "pool": 512}


class WeightsUnavailableError(RuntimeError):
    """The configured VGG16 weights cannot be had and random weights are not allowed."""


def keras_models_dir() -> Path:
    """Where Keras keeps downloaded weights: ``$KERAS_HOME/models`` or ``~/.keras/models``."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "models"


@dataclass(frozen=True)
class EncoderSpec:
    """Everything a feature depends on; ``name`` goes into the ``encoder`` column.

    ``weights`` is ``imagenet``, ``file`` (a local weights file that is not Keras's ImageNet
    file) or ``random`` (seeded, so features are reproducible but carry no ImageNet meaning).
    ``weights_path`` is the local weights file, None for random weights and for ImageNet's
    weights from Keras's cache.
    """

    layer: Layer
    weights: str
    weights_fingerprint: str
    precision: Literal["float32", "bfloat16"]
    resize: ResizeMode = "crop"
    top_k: int = 5
    weights_path: str | None = None
    random_seed: int | None = None

    @property
    def name(self) -> str:
        return f"vgg16-{self.layer}-{self.weights}"

    @property
    def has_labels(self) -> bool:
        """Top-k ImageNet labels only mean something with trained weights."""
        return self.weights != "random"

    @property
    def feature_size(self) -> int:
        return FEATURE_SIZES[self.layer]

    def describe(self) -> dict:
        """The configuration in words (without the local path, which does not change features)."""
        config = {
            key: value
            for key, value in asdict(self).items()
            if key not in ("weights_path", "random_seed")  # both are in weights_fingerprint
        }
        if not self.has_labels:
            config.pop("top_k")
        return {
            "model": "vgg16",
            "image_size": IMAGE_SIZE,
            "preprocessing": PREPROCESSING_VERSION,
            **config,
        }

    @property
    def cache_key(self) -> str:
        """Short hash of ``describe()``: one cache folder per configuration."""
        text = json.dumps(self.describe(), sort_keys=True)
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def hardware_has_bfloat16() -> bool:
    """True on a GPU with compute capability ≥ 8.0, or a CPU with AVX-512 BF16 or AMX."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return tuple(details.get("compute_capability") or (0, 0)) >= (8, 0)
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: Precision) -> Literal["float32", "bfloat16"]:
    """The arithmetic of ``precision``: ``float32`` or ``bfloat16`` as given, ``auto`` →
    ``bfloat16`` where the hardware computes it natively, else ``float32``."""
    if precision != "auto":
        return precision
    return "bfloat16" if hardware_has_bfloat16() else "float32"


def _fetch_imagenet_weights() -> Path:
    """Keras's own download (once, into ~/.keras/models, checked by its md5)."""
    import keras

    return Path(
        keras.utils.get_file(
            VGG16_WEIGHTS_FILE,
            VGG16_WEIGHTS_URL,
            cache_subdir="models",
            file_hash=VGG16_WEIGHTS_MD5,
        )
    )


def _warn_random_weights(reason: str) -> None:
    line = "!" * 78
    logger.warning(
        "\n%s\n!! VGG16 runs with RANDOM weights: %s\n"
        "!! Image features carry no ImageNet meaning, image_labels stays empty and the\n"
        "!! encoder column says 'random'. For real features place %s in %s\n"
        "!! (or set image_features.weights to a local weights file).\n%s",
        line,
        reason,
        VGG16_WEIGHTS_FILE,
        keras_models_dir(),
        line,
    )


ENCODER_PARAMETERS = (
    "weights",
    "layer",
    "precision",
    "allow_random_weights",
    "random_seed",
    "resize",
    "top_k",
)
"""The ``image_features`` parameters that decide the encoder (the others tune the run)."""


def encoder_options(image_features_params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``resolve_encoder_spec`` keyword arguments found in the ``image_features`` settings
    ``image_features_params`` (a dict, as ``ImageFeaturesParams.model_dump()`` gives)."""
    return {k: image_features_params[k] for k in ENCODER_PARAMETERS if k in image_features_params}


def resolve_encoder_spec(
    *,
    weights: str | None = "imagenet",
    layer: Layer = "fc2",
    precision: Precision = "auto",
    allow_random_weights: bool = True,
    random_seed: int = 42,
    resize: ResizeMode = "crop",
    top_k: int = 5,
) -> EncoderSpec:
    """Decide the encoder of a run, fetching ImageNet weights if needed.

    ``weights``: ``imagenet`` (Keras downloads the file once into its cache and checks its
    md5; a file already in its cache is checked when VGG16 is built from it, not here), a
    path to a VGG16 weights file (fingerprinted by its sha256), or ``None`` for seeded random
    weights (``random_seed``). When the weights cannot be had, continue with those random
    weights and one loud warning if ``allow_random_weights``, else raise
    ``WeightsUnavailableError`` saying what to place where. ``layer`` (:data:`Layer`),
    ``precision`` (:data:`Precision`, resolved by :func:`resolve_precision`), ``resize``
    (:data:`ResizeMode`) and ``top_k`` (labels kept, in [1, 1000]) are passed on as they are:
    ``ImageFeaturesParams`` checks them.
    Returns the ``EncoderSpec``.
    """
    common = {"layer": layer, "precision": resolve_precision(precision), "resize": resize}
    random_spec = EncoderSpec(
        weights="random",
        weights_fingerprint=f"keras-glorot-uniform-seed-{random_seed}",
        random_seed=random_seed,
        top_k=top_k,
        **common,
    )
    if weights is None or str(weights).lower() in ("", "none", "null", "random"):
        logger.warning("image_features.weights is null: VGG16 runs with random weights.")
        return random_spec

    if str(weights).lower() == "imagenet":
        try:  # Keras downloads the file and checks its md5
            if not (keras_models_dir() / VGG16_WEIGHTS_FILE).is_file():
                _fetch_imagenet_weights()
        except Exception as error:  # Keras raises a bare Exception on a failed download
            problem = f"the ImageNet weights could not be downloaded ({error})"
            if not allow_random_weights:
                raise WeightsUnavailableError(
                    f"VGG16: {problem}. Place {VGG16_WEIGHTS_FILE} (from "
                    f"{VGG16_WEIGHTS_URL}) at {keras_models_dir() / VGG16_WEIGHTS_FILE}, "
                    "or set image_features.weights to a local weights file, or set "
                    "image_features.allow_random_weights: true."
                ) from error
            _warn_random_weights(problem)
            return random_spec
        return EncoderSpec(
            weights="imagenet",
            weights_fingerprint=f"md5-{VGG16_WEIGHTS_MD5}",
            top_k=top_k,
            **common,
        )

    weights_path = Path(weights).expanduser()
    if not weights_path.is_file():
        problem = f"the weights file {weights_path} does not exist"
        if not allow_random_weights:
            raise WeightsUnavailableError(
                f"VGG16: {problem}. Place a VGG16 weights file there (the ImageNet one is "
                f"{VGG16_WEIGHTS_FILE} from {VGG16_WEIGHTS_URL}), or set "
                "image_features.allow_random_weights: true."
            )
        _warn_random_weights(problem)
        return random_spec
    hashes = hash_file(weights_path)
    return EncoderSpec(
        weights="imagenet" if hashes["md5"] == VGG16_WEIGHTS_MD5 else "file",
        weights_fingerprint=f"sha256-{hashes['sha256']}",
        weights_path=str(weights_path),
        top_k=top_k,
        **common,
    )
