"""Image files → VGG16's input: decoded, resized to 224×224 and preprocessed, in batches.

A photo is first turned upright as its EXIF orientation says (a phone stores many photos
sideways and says so in that tag; Pillow reads it, TensorFlow's decoders ignore it).
Resizing keeps the aspect ratio: ``crop`` (default) cuts the centre square and scales it to
224, as ImageNet models were evaluated (a 4:5 Instagram portrait loses 10 % at the top and at
the bottom); ``pad`` scales the longer side to 224 and pads with black, so nothing is cut but
the subject is smaller.

``start_decoding`` hands out ``(indices, images)`` batches decoded in the background, by
``image_batches`` (tf.data) or, for a few paths, one by one. Images that cannot be decoded
are skipped: their indices are missing from every batch.
"""

import functools
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import ExifTags, Image

if TYPE_CHECKING:  # TensorFlow itself is imported where it is used, on first use
    import tensorflow as tf

IMAGE_SIZE = 224  # VGG16's input: IMAGE_SIZE × IMAGE_SIZE × 3
# VGG16's "caffe" preprocessing: BGR channel order, ImageNet channel means subtracted.
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)
RESIZE_MODES = ("crop", "pad")
# The formats tf.io.decode_image reads, as Pillow names them (a camera's MPO is a JPEG to it).
# Ingestion keeps only images that ``decodes``, though Pillow reads more (TIFF, ICO, PSD…).
DECODED_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "BMP", "WEBP")
ONE_BY_ONE_MAX = 8  # at most this many paths are decoded without tf.data (start_decoding)
# Bump when decoding or preprocessing changes, so cached features are recomputed.
PREPROCESSING_VERSION = 2
# EXIF orientation → whether the upright image is the stored one transposed, then flipped
# top to bottom, then left to right (the transpositions of Pillow's ImageOps.exif_transpose).
# Index 0 is unused: orientations run from 1 (upright) to 8.
_TRANSPOSED = (False, False, False, False, False, True, True, True, True)
_FLIPPED_UP_DOWN = (False, False, False, True, True, False, False, True, True)
_FLIPPED_LEFT_RIGHT = (False, False, True, True, False, False, True, True, False)


def decodes(image: Image.Image) -> bool:
    """Whether this module decodes the image that Pillow opened (its header read): one of
    ``DECODED_FORMATS``, and not an animated WebP, which TensorFlow's WebP decoder refuses
    (and, asked for the file's own channel count, corrupts the heap)."""
    animated_webp = image.format == "WEBP" and getattr(image, "is_animated", False)
    return image.format in DECODED_FORMATS and not animated_webp


@dataclass(frozen=True)
class Header:
    """What decoding needs from an image file's header: its EXIF ``orientation``, 1 (upright)
    to 8, and ``webp_alpha``, whether it is a WebP with an alpha channel (TensorFlow decodes
    one only as four channels)."""

    orientation: int = 1
    webp_alpha: bool = False


def read_header(path: str) -> Header:
    """The :class:`Header` of the image file at ``path``, read as Pillow opens it (no pixel
    decoded). An orientation that is missing, invalid or unreadable is 1; a file Pillow cannot
    open gets ``Header()`` (decoding then says whether it is an image)."""
    try:
        with Image.open(path) as image:
            webp_alpha = image.format == "WEBP" and image.mode == "RGBA"
            return Header(_orientation(image), webp_alpha)
    except Exception:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError…
        return Header()


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) of the ``image`` Pillow opened; 1 when it is missing,
    invalid or unreadable."""
    if "exif" not in image.info:  # read with the header (a PNG's eXIf after its pixels is
        return 1  # not looked for: it would decode them)
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - Pillow raises SyntaxError, OSError, ValueError…
        return 1
    return orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1


def read_headers(paths: Sequence[str]) -> tuple[list[int], list[bool]]:
    """The orientations and ``webp_alpha`` flags of ``paths`` (:func:`read_header`), in order."""
    headers = [read_header(path) for path in paths]
    return [h.orientation for h in headers], [h.webp_alpha for h in headers]


def _upright(image, orientation):
    """``image`` (height × width × channels) turned as its EXIF ``orientation`` (1-8) says."""
    import tensorflow as tf

    image = tf.cond(
        tf.gather(_TRANSPOSED, orientation),
        lambda: tf.transpose(image, [1, 0, 2]),
        lambda: image,
    )
    flipped = tf.stack(
        [tf.gather(_FLIPPED_UP_DOWN, orientation), tf.gather(_FLIPPED_LEFT_RIGHT, orientation)]
    )
    return tf.reverse(image, tf.boolean_mask(tf.constant([0, 1]), flipped))


def _decode(path, webp_alpha):
    """The RGB pixels (uint8) of the image file at ``path``; ``webp_alpha``: a WebP with an
    alpha channel, decoded as four channels and the alpha dropped, as for a PNG."""
    import tensorflow as tf

    data = tf.io.read_file(path)
    return tf.cond(
        webp_alpha,
        lambda: tf.io.decode_image(data, channels=4, expand_animations=False)[..., :3],
        lambda: tf.io.decode_image(data, channels=3, expand_animations=False),
    )


def _load_image(path, orientation, webp_alpha, resize: str):
    """Read, decode (JPEG/PNG/GIF/BMP/WebP, ``webp_alpha`` as in :func:`_decode`), turn
    upright as the EXIF ``orientation`` (1-8) says, resize to 224×224 and apply VGG16's
    preprocessing."""
    import tensorflow as tf

    # Resized from uint8 (the resize computes in float32 and returns float32): a float32 copy
    # of the full-size image would take 4 bytes a pixel more (+1.7 GB peak for 144 Mpx).
    image = _upright(_decode(path, webp_alpha), orientation)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    if resize == "pad":
        longer = tf.cast(tf.maximum(height, width), tf.float32)
        scaled = tf.cast(tf.stack([height, width]), tf.float32) * (IMAGE_SIZE / longer)
        # at least one pixel: a 3000 × 1 image scales to 224 × 0.07
        image = tf.image.resize(image, tf.maximum(tf.cast(scaled, tf.int32), 1), antialias=True)
    else:
        # The centre square is cut before it is scaled: scaling a 3000 × 1 image's shorter
        # side to 224 first would make a 672,000 × 224 float32 image (1.8 GB) of 100 bytes.
        side = tf.minimum(height, width)
        image = tf.image.resize_with_crop_or_pad(image, side, side)
        image = tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE), antialias=True)
    image = tf.image.resize_with_crop_or_pad(image, IMAGE_SIZE, IMAGE_SIZE)  # pad: centred
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image[..., ::-1] - tf.constant(IMAGENET_BGR_MEANS)


@functools.cache
def _indexed_image_loader(resize: str):
    """``(index, path, orientation, webp_alpha) -> (index, image)`` as one ``tf.function`` per
    resize mode: every dataset reuses its trace instead of tracing the map function anew."""
    import tensorflow as tf

    def load(index, path, orientation, webp_alpha):
        return index, _load_image(path, orientation, webp_alpha, resize)

    return tf.function(load, autograph=False)


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
    for index, (path, orientation, webp_alpha) in enumerate(
        zip(paths, *read_headers(paths), strict=True)
    ):
        try:
            image = _load_image(
                tf.constant(path), tf.constant(orientation), tf.constant(webp_alpha), resize
            )
            decoded.append((index, image))
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
    Making the iterator takes time (TensorFlow instantiates and optimizes the map function),
    so a thread makes it, and the caller goes on meanwhile. A few paths (at most
    ``ONE_BY_ONE_MAX``, e.g. the new photos of a re-run) are decoded one by one in that thread
    instead: in a new process, tracing the map function costs more than decoding a handful of
    images. Both ways run the same ops and give the same pixels.
    """
    # Imported here first: two threads importing TensorFlow at once (this one building the
    # encoder) leave a half-initialised module behind.
    import tensorflow  # noqa: F401

    if len(paths) <= ONE_BY_ONE_MAX:
        started = _iterator_starter().submit(_decode_one_by_one, paths, resize, batch_size)
    else:
        started = _iterator_starter().submit(iter, image_batches(paths, resize, batch_size))
    return _batches_when_started(started)


def image_batches(paths: Sequence[str], resize: str, batch_size: int) -> "tf.data.Dataset":
    """The tf.data pipeline of ``start_decoding``: ``(indices, images)`` batches, decoded by a
    parallel map (``AUTOTUNE``, order kept), undecodable images skipped, one batch ahead (a
    fixed 1, not ``AUTOTUNE``: memory stays bounded by the batch size). Each image's header
    is read first (:func:`read_headers`)."""
    import tensorflow as tf

    from insta_kedro.vision.tf_data import without_autotune_model

    orientations, webp_alpha = read_headers(paths)
    slices = (tf.range(len(paths)), tf.constant(list(paths)), orientations, webp_alpha)
    dataset = (
        tf.data.Dataset.from_tensor_slices(slices)
        .map(_indexed_image_loader(resize), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .batch(batch_size)
        .prefetch(1)
    )
    return without_autotune_model(dataset)
