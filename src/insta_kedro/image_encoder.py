"""VGG16 image encoder: weights policy, precision and the unit of work (image paths → features).

Three steps, each usable on its own (a cluster worker needs only the last two):

1. ``resolve_encoder_spec`` decides *what* encoder a run uses: the layer, the weights
   (ImageNet, a local file or seeded random ones) and the precision. It downloads the
   ImageNet weights once into ``~/.keras/models`` (Keras's own cache) and applies the
   ``allow_random_weights`` policy. Its ``cache_key`` names everything a feature depends on.
2. ``load_encoder`` builds VGG16 for a spec, its weights and arithmetic in the spec's
   precision (no global Keras dtype policy is touched, so no other pipeline is affected);
   given a folder, it saves the weights there once and maps them from disk afterwards
   (``insta_kedro.prepared_weights``).
3. ``encode_images`` turns a list of image paths into float32 features (and top-k ImageNet
   labels when the weights have them): decode, resize and preprocess run in parallel in
   ``tf.data`` (a handful of images are decoded one by one, which starts sooner), the model
   sees one batch at a time, so memory is bounded by the batch size.
   An image that cannot be decoded gets an error instead of a feature; the others go on.
   ``start_decoding`` begins that decoding early, e.g. before ``load_encoder``.

Resizing to 224×224 keeps the aspect ratio: ``crop`` (default) scales the shorter side to 224
and cuts the centre square, as ImageNet models were evaluated (a 4:5 Instagram portrait
loses 10 % at the top and at the bottom); ``pad`` scales the longer side to 224 and pads with
black, so nothing is cut but the subject is smaller.
"""

import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from insta_kedro.encoder_weights import (
    Keras2Hdf5Weights,
    aligned_empty,
    glorot_uniform_initializer,
    is_keras2_hdf5,
    loaded_initializer,
    zeros_initializer,
)
from insta_kedro.file_hashes import FileHashMemo
from insta_kedro.prepared_weights import MappedWeights, PreparedWeights, PreparedWeightsWriter

if TYPE_CHECKING:  # TensorFlow itself is imported where it is used: importing it takes seconds
    import tensorflow as tf

logger = logging.getLogger(__name__)

VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
VGG16_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + VGG16_WEIGHTS_FILE
)
VGG16_WEIGHTS_MD5 = "64373286793e3c8b2b4e3219cbf3544b"  # the hash Keras checks the download by
IMAGENET_CLASS_INDEX_FILE = "imagenet_class_index.json"
IMAGENET_CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/" + IMAGENET_CLASS_INDEX_FILE
)
IMAGE_SIZE = 224
# VGG16's "caffe" preprocessing: BGR channel order, ImageNet channel means subtracted.
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)
FEATURE_SIZES = {"fc2": 4096, "pool": 512}
LAYERS = tuple(FEATURE_SIZES)
PRECISIONS = ("auto", "float32", "bfloat16")
RESIZE_MODES = ("crop", "pad")
DECODE_ERROR = "cannot decode image"
ONE_BY_ONE_MAX = 8  # at most this many paths are decoded without tf.data (start_decoding)
# Bump when decoding or preprocessing changes, so cached features are recomputed.
PREPROCESSING_VERSION = 1
# (filters, convolutions) of VGG16's five blocks.
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


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
    """

    layer: str
    weights: str
    weights_fingerprint: str
    precision: str
    resize: str = "crop"
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


def resolve_precision(precision: str) -> str:
    """``auto`` → ``bfloat16`` where the hardware computes it natively, else ``float32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"image_features.precision must be one of {PRECISIONS}, got {precision!r}")
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


def encoder_options(image_features_params: dict) -> dict:
    """The ``resolve_encoder_spec`` keyword arguments found in the ``image_features`` params."""
    return {k: image_features_params[k] for k in ENCODER_PARAMETERS if k in image_features_params}


def resolve_encoder_spec(
    *,
    weights: str | None = "imagenet",
    layer: str = "fc2",
    precision: str = "auto",
    allow_random_weights: bool = True,
    random_seed: int = 42,
    resize: str = "crop",
    top_k: int = 5,
    hash_memo: str | Path | None = None,
) -> EncoderSpec:
    """Decide the encoder of a run, fetching ImageNet weights if needed.

    ``weights``: ``imagenet``, a path to a VGG16 weights file, or ``None`` for random weights.
    When the weights cannot be had, continue with seeded random weights and one loud warning
    if ``allow_random_weights``, else raise ``WeightsUnavailableError`` saying what to place where.
    ``hash_memo``: a JSON file remembering the weights file's hashes (``FileHashMemo``), so
    an unchanged 528 MB file is not read again on every run just to be fingerprinted.
    """
    memo = FileHashMemo(hash_memo)
    if layer not in LAYERS:
        raise ValueError(f"image_features.layer must be one of {LAYERS}, got {layer!r}")
    if resize not in RESIZE_MODES:
        raise ValueError(f"image_features.resize must be one of {RESIZE_MODES}, got {resize!r}")
    common = {"layer": layer, "precision": resolve_precision(precision), "resize": resize}
    random_spec = EncoderSpec(
        weights="random",
        weights_fingerprint=f"glorot-uniform-bfloat16-pcg64-seed-{random_seed}-per-layer",
        random_seed=random_seed,
        top_k=top_k,
        **common,
    )
    if weights is None or str(weights).lower() in ("", "none", "null", "random"):
        logger.warning("image_features.weights is null: VGG16 runs with random weights.")
        return random_spec

    if str(weights).lower() == "imagenet":
        weights_path = keras_models_dir() / VGG16_WEIGHTS_FILE
        remembered = memo.known(weights_path)
        if remembered is None or remembered["md5"] != VGG16_WEIGHTS_MD5:
            try:  # Keras downloads the file, or reads the one there to check its md5
                weights_path = _fetch_imagenet_weights()
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
            memo.hashes(weights_path)  # the next run skips Keras's md5 check
        return EncoderSpec(
            weights="imagenet",
            weights_fingerprint=f"md5-{VGG16_WEIGHTS_MD5}",
            weights_path=str(weights_path),
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
    hashes = memo.hashes(weights_path)
    return EncoderSpec(
        weights="imagenet" if hashes["md5"] == VGG16_WEIGHTS_MD5 else "file",
        weights_fingerprint=f"sha256-{hashes['sha256']}",
        weights_path=str(weights_path),
        top_k=top_k,
        **common,
    )


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


def vgg16_network(
    include_top: bool = True,
    seed: int | None = None,
    dtype: str = "float32",
    weights: Keras2Hdf5Weights | MappedWeights | None = None,
    include_classifier: bool = True,
    writer: PreparedWeightsWriter | None = None,
):
    """VGG16 (Simonyan & Zisserman, 2014), its weights and computation in ``dtype``: the
    layers of ``weights`` (an open file, or prepared weights), else seeded Glorot-uniform
    ones, else zeros (``seed=None``) for ``load_weights`` to overwrite.

    ``include_top``: fc1 and fc2 after the convolutions; ``include_classifier``: then the
    1000 ImageNet logits too (the network's output), else fc2 is the output. ``writer``: the
    drawn or read weights go into its files (saved as they are made).

    The layers carry Keras's names and order, so Keras's VGG16 weights files (ImageNet's
    included) load into it. ``keras.applications.VGG16`` would first draw random values for
    all 138M weights (1-2 s here) that the loaded file then overwrites.
    ``predictions`` gives logits (no softmax), like ``classifier_activation=None``.

    Random weights are rounded to bfloat16 whatever ``dtype`` is, so the float32 and the
    bfloat16 network of one seed hold the same weights and differ only in the arithmetic.
    """
    import keras
    from keras import layers

    def initializers(name: str, index: int) -> dict:
        allocate = writer.allocator(name) if writer is not None else aligned_empty
        if weights is not None:
            kernel, bias = weights.layer(name, allocate)
            return {
                "kernel_initializer": loaded_initializer(kernel, f"{name}'s kernel in the file"),
                "bias_initializer": loaded_initializer(bias, f"{name}'s bias in the file"),
            }
        if seed is None:
            return {"kernel_initializer": "zeros"}
        # One seed per layer: the same seed would repeat its values in every same-shaped layer.
        return {
            "kernel_initializer": glorot_uniform_initializer(seed * 100 + index, allocate),
            "bias_initializer": zeros_initializer(allocate),
        }

    images = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="input_layer")
    x = images
    index = 0
    for block, (filters, convolutions) in enumerate(VGG16_BLOCKS, start=1):
        for convolution in range(1, convolutions + 1):
            index += 1
            name = f"block{block}_conv{convolution}"
            x = layers.Conv2D(
                filters,
                3,
                padding="same",
                activation="relu",
                dtype=dtype,
                name=name,
                **initializers(name, index),
            )(x)
        x = layers.MaxPooling2D(2, strides=2, dtype=dtype, name=f"block{block}_pool")(x)
    if not include_top:
        return keras.Model(images, x, name="vgg16")
    x = layers.Flatten(dtype=dtype, name="flatten")(x)
    for units, name in ((4096, "fc1"), (4096, "fc2")):
        index += 1
        x = layers.Dense(
            units, activation="relu", dtype=dtype, name=name, **initializers(name, index)
        )(x)
    if not include_classifier:
        return keras.Model(images, x, name="vgg16")
    logits = layers.Dense(
        1000, dtype=dtype, name="predictions", **initializers("predictions", index + 1)
    )(x)
    return keras.Model(images, logits, name="vgg16")


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
    vgg16.load_weights(spec.weights_path)
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


def _load_image(path, resize: str):
    """Read, decode (JPEG/PNG/GIF/BMP), resize to 224×224 and apply VGG16's preprocessing."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.cast(image, tf.float32)
    if resize == "pad":
        image = tf.image.resize_with_pad(image, IMAGE_SIZE, IMAGE_SIZE, antialias=True)
    else:
        height = tf.cast(tf.shape(image)[0], tf.float32)
        width = tf.cast(tf.shape(image)[1], tf.float32)
        scale = IMAGE_SIZE / tf.minimum(height, width)
        size = tf.cast(tf.math.ceil(tf.stack([height * scale, width * scale])), tf.int32)
        image = tf.image.resize(image, tf.maximum(size, IMAGE_SIZE), antialias=True)
        image = tf.image.resize_with_crop_or_pad(image, IMAGE_SIZE, IMAGE_SIZE)
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image[..., ::-1] - tf.constant(IMAGENET_BGR_MEANS)


@functools.cache
def _indexed_image_loader(resize: str):
    """``(index, path) -> (index, image)`` as one ``tf.function`` per resize mode: every dataset
    reuses its trace (tracing the map function anew cost about 0.1 s per call here)."""
    import tensorflow as tf

    return tf.function(lambda index, path: (index, _load_image(path, resize)), autograph=False)


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


@functools.cache
def _iterator_starter() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="start-decoding")


def _batches_when_started(iterator: Future) -> Iterator:
    yield from iterator.result()


def _decode_one_by_one(paths: Sequence[str], resize: str, batch_size: int) -> list[tuple]:
    """The ``(indices, images)`` batches of ``paths``, each image decoded by eager ops,
    without ``tf.data``. Images that fail to decode are skipped, as ``ignore_errors`` does."""
    import tensorflow as tf

    decoded = []
    for index, path in enumerate(paths):
        try:
            decoded.append((index, _load_image(tf.constant(path), resize)))
        except tf.errors.OpError:
            continue
    batches = []
    for start in range(0, len(decoded), batch_size):
        indices, images = zip(*decoded[start : start + batch_size], strict=True)
        batches.append((tf.constant(indices, tf.int32), tf.stack(images)))
    return batches


def start_decoding(paths: Sequence[str], resize: str, batch_size: int) -> Iterator:
    """The ``(indices, images)`` batches of ``paths``, decoded from now on in ``tf.data``'s
    threads (parallel map, AUTOTUNE, one batch prefetched). Images that fail to decode are
    skipped; their indices are missing from every batch.

    Started before ``load_encoder``, the first batches are decoded while the encoder builds.
    Even making the iterator takes about 0.1 s here (TensorFlow instantiates and optimizes the
    map function), so a thread makes it, and the caller goes on meanwhile. A few paths (at most
    ``ONE_BY_ONE_MAX``, e.g. the new photos of a re-run) are decoded one by one in that thread
    instead: in a new process, tracing the map function costs more (about 0.15 s) than decoding
    a handful of images (about 25 ms each). Both ways run the same ops and give the same pixels.
    """
    if len(paths) <= ONE_BY_ONE_MAX:
        started = _iterator_starter().submit(_decode_one_by_one, paths, resize, batch_size)
    else:
        started = _iterator_starter().submit(iter, image_batches(paths, resize, batch_size))
    return _batches_when_started(started)


def image_batches(paths: Sequence[str], resize: str, batch_size: int) -> "tf.data.Dataset":
    """The tf.data pipeline of ``start_decoding``: ``(indices, images)`` batches, decoded by a
    parallel map (``AUTOTUNE``, order kept), undecodable images skipped, one batch ahead (a
    fixed 1, not ``AUTOTUNE``: memory stays bounded by the batch size)."""
    import tensorflow as tf

    from insta_kedro.tf_data_tuning import without_autotune_model

    dataset = (
        tf.data.Dataset.from_tensor_slices((tf.range(len(paths)), tf.constant(list(paths))))
        .map(_indexed_image_loader(resize), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .batch(batch_size)
        .prefetch(1)
    )
    return without_autotune_model(dataset)


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
