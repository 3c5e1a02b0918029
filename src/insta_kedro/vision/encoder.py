"""The image encoder: a built VGG16 for an ``EncoderSpec`` and the unit of work (image paths →
features).

1. ``load_encoder`` builds VGG16 (``insta_kedro.vision.vgg16_network``) for a spec
   (``insta_kedro.vision.encoder_spec``), its weights and arithmetic in the spec's precision (no
   global Keras dtype policy is touched, so no other pipeline is affected); given a folder, it
   saves the weights there once and maps them from disk afterwards
   (``insta_kedro.vision.prepared_weights``).
2. ``encode_images`` turns a list of image paths into float32 features (and top-k ImageNet
   labels when the weights have them): decoding (``insta_kedro.vision.decoding``) runs in
   parallel, the model sees one batch at a time, so memory is bounded by the batch size.
   An image that cannot be decoded gets an error instead of a feature; the others go on.
   ``image_decoding.start_decoding`` begins that decoding early, e.g. before ``load_encoder``.
"""

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from insta_kedro.vision.decoding import start_decoding
from insta_kedro.vision.encoder_spec import EncoderSpec, keras_models_dir
from insta_kedro.vision.encoder_weights import Keras2Hdf5Weights, is_keras2_hdf5
from insta_kedro.vision.prepared_weights import PreparedWeights, PreparedWeightsWriter
from insta_kedro.vision.vgg16_network import IMAGE_SIZE, vgg16_network

logger = logging.getLogger(__name__)

IMAGENET_CLASS_INDEX_FILE = "imagenet_class_index.json"
IMAGENET_CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/" + IMAGENET_CLASS_INDEX_FILE
)
DECODE_ERROR = "cannot decode image"


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet class names, from Keras's class index (downloaded once).

    Without the index (no network) the names are ``imagenet_class_<index>``, with a warning.
    """
    import keras

    try:
        path = keras.utils.get_file(
            IMAGENET_CLASS_INDEX_FILE, IMAGENET_CLASS_INDEX_URL, cache_subdir="models"
        )
        index = json.loads(Path(path).read_text())
        return [index[str(i)][1] for i in range(1000)]
    except Exception as error:
        logger.warning(
            "ImageNet class index unavailable (%s): labels are 'imagenet_class_<index>'. "
            "Place %s in %s for names.",
            error,
            IMAGENET_CLASS_INDEX_FILE,
            keras_models_dir(),
        )
        return [f"imagenet_class_{i}" for i in range(1000)]


class ImageEncoder:
    """A built VGG16 for one ``EncoderSpec``: ``predict`` maps a preprocessed batch to
    float32 features and, with trained weights, the top-k class indices and probabilities."""

    def __init__(self, spec: EncoderSpec, model, class_names: list[str] | None):
        import tensorflow as tf

        self.spec = spec
        self.model = model
        self.class_names = class_names

        # One trace for every batch size, done now: a run can build the encoder while tf.data
        # decodes the first batch (``start_decoding``), so the trace overlaps the decoding.
        @tf.function(
            input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32)],
            autograph=False,
        )
        def predict(images):
            outputs = model(images, training=False)
            features = tf.cast(outputs[0] if spec.has_labels else outputs, tf.float32)
            if not spec.has_labels:
                return features, None, None
            # Softmax in float32 even under bfloat16, so probabilities keep their precision.
            probabilities = tf.nn.softmax(tf.cast(outputs[1], tf.float32))
            top = tf.math.top_k(probabilities, k=spec.top_k)
            return features, top.indices, top.values

        predict.get_concrete_function()
        self.predict = predict


def _network_dtype(spec: EncoderSpec) -> str:
    # bfloat16 weights, not mixed precision's float32 weights cast to bfloat16 in every call:
    # the same arithmetic on the same rounded values, in a third of the memory.
    return "bfloat16" if spec.precision == "bfloat16" else "float32"


def _network_parts(spec: EncoderSpec) -> dict:
    """The ``vgg16_network`` layers a spec needs: without labels no classifier (4M fewer
    weights), and the pool layer needs no fc1/fc2 either (120M fewer)."""
    return {
        "include_top": spec.layer == "fc2" or spec.has_labels,
        "include_classifier": spec.has_labels,
    }


def prepared_weights_key(spec: EncoderSpec) -> str:
    """Names a prepared set: the weights' fingerprint, the precision and the layers built."""
    parts = _network_parts(spec)
    layers = (
        "classifier" if parts["include_classifier"] else "fc" if parts["include_top"] else "conv"
    )
    fingerprint = hashlib.sha256(spec.weights_fingerprint.encode()).hexdigest()[:16]
    return f"vgg16-{layers}-{_network_dtype(spec)}-{fingerprint}"


def _vgg16_from_source(spec: EncoderSpec, writer: PreparedWeightsWriter | None = None):
    """VGG16 with the spec's own weights: drawn, read from its file, or loaded by Keras;
    saved by ``writer`` (if any) on the way."""
    dtype = _network_dtype(spec)
    random_weights = spec.weights == "random"
    # A Keras-2 HDF5 file (Keras's ImageNet layout) is read straight into the variables'
    # memory; any other layout Keras reads goes through ``load_weights``.
    if not random_weights and is_keras2_hdf5(spec.weights_path):
        with Keras2Hdf5Weights(spec.weights_path, dtype) as weights:
            return vgg16_network(
                dtype=dtype, weights=weights, writer=writer, **_network_parts(spec)
            )
    if random_weights:
        seed = spec.random_seed or 0
        return vgg16_network(seed=seed, dtype=dtype, writer=writer, **_network_parts(spec))
    vgg16 = vgg16_network(dtype=dtype, **_network_parts(spec))
    try:
        vgg16.load_weights(spec.weights_path)
    except (ValueError, OSError) as error:
        raise ValueError(
            f"image_features.weights: {spec.weights_path} is not VGG16 weights Keras can read "
            f"(a .weights.h5, .keras or Keras-2 .h5 file): {error}"
        ) from error
    if writer is not None:
        writer.copy_from(vgg16)
    return vgg16


def _vgg16_from_prepared(spec: EncoderSpec, prepared: PreparedWeights | None):
    """VGG16 over the prepared weights' mapped files, or None when there are none usable."""
    mapped = prepared.load() if prepared is not None else None
    if mapped is None:
        return None
    try:
        return vgg16_network(dtype=_network_dtype(spec), weights=mapped, **_network_parts(spec))
    except (OSError, ValueError) as error:
        logger.warning("prepared weights %s unusable, built again (%s)", mapped.folder, error)
        prepared.discard()
        return None


def _build_vgg16(spec: EncoderSpec, prepared: PreparedWeights | None = None):
    import keras

    vgg16 = _vgg16_from_prepared(spec, prepared)
    if vgg16 is None:
        with prepared.writer() if prepared is not None else contextlib.nullcontext() as writer:
            vgg16 = _vgg16_from_source(spec, writer)
    if spec.layer == "fc2":
        features = vgg16.get_layer("fc2").output
    else:
        features = keras.layers.GlobalAveragePooling2D(dtype=_network_dtype(spec), name="pool")(
            vgg16.get_layer("block5_pool").output
        )
    outputs = [features, vgg16.get_layer("predictions").output] if spec.has_labels else features
    return keras.Model(vgg16.input, outputs, name=spec.name)


def load_encoder(spec: EncoderSpec, prepared_weights_dir: str | Path | None = None) -> ImageEncoder:
    """Build VGG16 for ``spec``: its weights and arithmetic in the spec's precision.

    With ``prepared_weights_dir`` the first build saves the weights there as it makes them,
    and later builds map them from disk (``PreparedWeights``) instead of drawing or reading
    them again.
    """
    prepared = (
        PreparedWeights(prepared_weights_dir, prepared_weights_key(spec))
        if prepared_weights_dir is not None
        else None
    )
    model = _build_vgg16(spec, prepared)
    class_names = imagenet_class_names() if spec.has_labels else None
    return ImageEncoder(spec, model, class_names)


@dataclass
class EncodedImages:
    """Result of ``encode_images``, one entry per input path, in input order.

    ``features`` is float32 (n, d) with NaN rows where ``errors`` has a message;
    ``labels`` / ``probabilities`` hold the top-k per image (None without trained weights).
    """

    features: np.ndarray
    errors: list[str | None]
    labels: list[list[str]] | None = None
    probabilities: np.ndarray | None = None


def encode_images(
    paths: Sequence[str],
    encoder: ImageEncoder,
    batch_size: int = 32,
    batches: Iterator | None = None,
) -> EncodedImages:
    """The unit of work: image paths → VGG16 features (and top-k labels).

    Decoding and preprocessing run in parallel in ``tf.data`` and overlap with the model; only
    ``batch_size`` images (plus a prefetched batch) are in memory at once. Images that fail to
    decode are reported as ``DECODE_ERROR``. ``batches``: the ``start_decoding`` of these
    ``paths``, when it was started earlier.
    """
    spec = encoder.spec
    count = len(paths)
    features = np.full((count, spec.feature_size), np.nan, dtype=np.float32)
    top_indices = np.zeros((count, spec.top_k), dtype=np.int64)
    probabilities = np.full((count, spec.top_k), np.nan, dtype=np.float32)
    decoded = np.zeros(count, dtype=bool)
    if count:
        if batches is None:
            batches = start_decoding(paths, spec.resize, batch_size)
        for indices, images in batches:
            batch_features, batch_top, batch_probabilities = encoder.predict(images)
            rows = indices.numpy()
            features[rows] = batch_features.numpy()
            decoded[rows] = True
            if spec.has_labels:
                top_indices[rows] = batch_top.numpy()
                probabilities[rows] = batch_probabilities.numpy()
    errors = [None if ok else DECODE_ERROR for ok in decoded]
    if not spec.has_labels:
        return EncodedImages(features, errors)
    labels = [[encoder.class_names[i] for i in row] for row in top_indices]
    return EncodedImages(features, errors, labels, probabilities)
