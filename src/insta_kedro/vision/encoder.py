"""The image encoder: ``keras.applications.VGG16`` built for an ``EncoderSpec``, and the unit of
work (image paths → features).

1. ``load_encoder`` builds VGG16 for a spec (``insta_kedro.vision.encoder_spec``): with
   ImageNet's weights (Keras downloads and checks them), a local weights file, or seeded random
   weights from Keras's own initializers; in bfloat16 through Keras's ``mixed_bfloat16`` policy,
   set only while the model is built.
2. ``encode_images`` turns a list of image paths into float32 features (and top-k ImageNet
   labels when the weights have them): decoding (``insta_kedro.vision.decoding``) runs in
   parallel, the model sees one batch at a time, so memory is bounded by the batch size.
   An image that cannot be decoded gets an error instead of a feature; the others go on.
   ``decoding.start_decoding`` begins that decoding early, e.g. before ``load_encoder``.
"""

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from insta_kedro.vision.decoding import IMAGE_SIZE, start_decoding
from insta_kedro.vision.encoder_spec import EncoderSpec, keras_models_dir

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


@contextlib.contextmanager
def _dtype_policy(precision: str) -> Iterator[None]:
    """Within the block, Keras's global dtype policy is ``mixed_bfloat16`` (float32 variables,
    bfloat16 arithmetic) for ``precision == "bfloat16"``, else ``float32``; the policy in force
    before is restored afterwards, so no other model of the process is affected."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _vgg16(spec: EncoderSpec, weight_sets: Path | None = None):
    """Returns ``keras.applications.VGG16`` for ``spec`` with its weights: ImageNet's
    (``weights_path`` None: Keras fetches and checks its file), a local file (``weights_path``)
    loaded over the built network, or random ones drawn by Keras's initializers after
    ``keras.utils.set_random_seed(spec.random_seed)`` (which seeds Python's, numpy's and
    TensorFlow's global generators). fc1, fc2 and ``predictions`` are built when the spec has
    labels (``predictions`` then gives logits) or its layer is ``fc2``. Raises ``ValueError``
    naming ``image_features.weights`` when Keras cannot read the local file.

    ``weight_sets``: a folder where the first build is saved and later builds are read from
    (``insta_kedro.vision.weight_sets``), instead of drawing or reading the weights again.
    """
    if weight_sets is None:
        return _new_vgg16(spec)
    from insta_kedro.vision.weight_sets import built_once

    return built_once(_weight_set_folder(spec, weight_sets), lambda: _new_vgg16(spec))


def _weight_set_folder(spec: EncoderSpec, weight_sets: Path) -> Path:
    """The folder of ``spec``'s weight set in ``weight_sets``."""
    from insta_kedro.vision.weight_sets import weight_set_name

    top = "top" if spec.has_labels or spec.layer == "fc2" else "conv"
    return Path(weight_sets) / weight_set_name(spec.weights_fingerprint, f"{top}-{spec.precision}")


def _new_vgg16(spec: EncoderSpec):
    """``keras.applications.VGG16`` for ``spec``, built and its weights drawn or loaded."""
    import keras

    shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
    if spec.weights == "random":
        keras.utils.set_random_seed(spec.random_seed or 0)
        return keras.applications.VGG16(
            weights=None, include_top=spec.layer == "fc2", input_shape=shape
        )
    if spec.weights_path is None:
        return keras.applications.VGG16(
            weights="imagenet", input_shape=shape, classifier_activation=None
        )
    vgg16 = keras.applications.VGG16(weights=None, input_shape=shape, classifier_activation=None)
    try:
        vgg16.load_weights(spec.weights_path)
    except (ValueError, OSError) as error:
        raise ValueError(
            f"image_features.weights: {spec.weights_path} is not VGG16 weights Keras can read "
            f"(a .weights.h5, .keras or Keras-2 .h5 file): {error}"
        ) from error
    return vgg16


def _build_vgg16(spec: EncoderSpec, weight_sets: Path | None = None):
    """The encoder's Keras model for ``spec``: VGG16's ``fc2`` output, or the global average of
    ``block5_pool`` for ``layer: pool``; with labels, the ``predictions`` logits as a second
    output. Built under the spec's precision (``_dtype_policy``); ``weight_sets`` as in
    ``_vgg16``."""
    import keras

    with _dtype_policy(spec.precision):
        vgg16 = _vgg16(spec, weight_sets)
        if spec.layer == "fc2":
            features = vgg16.get_layer("fc2").output
        else:
            features = keras.layers.GlobalAveragePooling2D(name="pool")(
                vgg16.get_layer("block5_pool").output
            )
        outputs = [features, vgg16.get_layer("predictions").output] if spec.has_labels else features
        return keras.Model(vgg16.input, outputs, name=spec.name)


def save_weight_set_once(spec: EncoderSpec, weight_sets: str | Path) -> None:
    """Build the network of ``spec`` and save it in the folder ``weight_sets``, unless it is
    there already (``insta_kedro.vision.weight_sets``).

    Before a Dask cluster encodes, the driver calls this, so the workers only read the set
    back: Keras draws each random initial weight's seed from Python's ``random``, which other
    threads of a worker process also draw from, so a draw on a worker would not give the
    seed's weights.
    """
    if _weight_set_folder(spec, Path(weight_sets)).is_dir():
        return
    with _dtype_policy(spec.precision):
        _vgg16(spec, Path(weight_sets))


def load_encoder(spec: EncoderSpec, weight_sets: str | Path | None = None) -> ImageEncoder:
    """Build the encoder of ``spec``: VGG16 with its weights in its precision, its ``predict``
    traced, and the ImageNet class names when the weights have labels.

    ``weight_sets``: a folder where the first build saves its network and later builds read it
    back (``insta_kedro.vision.weight_sets``): a run that encodes a few new photos then draws
    or reads no weights. None: built from scratch every time.

    Raises ``ValueError`` (naming ``image_features.weights``) when a local weights file is not
    VGG16 weights Keras can read.
    """
    model = _build_vgg16(spec, None if weight_sets is None else Path(weight_sets))
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
    on_batch: Callable[[int], object] | None = None,
) -> EncodedImages:
    """The unit of work: image paths → VGG16 features (and top-k labels).

    Decoding and preprocessing run in parallel in ``tf.data`` and overlap with the model; only
    ``batch_size`` images (plus a prefetched batch) are in memory at once. Images that fail to
    decode are reported as ``DECODE_ERROR``. ``batches``: the ``start_decoding`` of these
    ``paths``, when it was started earlier. ``on_batch``: called with the number of images of
    each batch once it is encoded (e.g. a progress bar's ``update``).
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
            if on_batch is not None:
                on_batch(len(rows))
            if spec.has_labels:
                top_indices[rows] = batch_top.numpy()
                probabilities[rows] = batch_probabilities.numpy()
    errors = [None if ok else DECODE_ERROR for ok in decoded]
    if not spec.has_labels:
        return EncodedImages(features, errors)
    labels = [[encoder.class_names[i] for i in row] for row in top_indices]
    return EncodedImages(features, errors, labels, probabilities)
