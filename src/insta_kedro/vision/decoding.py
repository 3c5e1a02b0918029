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
from typing import TYPE_CHECKING

from PIL import ExifTags, Image

if TYPE_CHECKING:  # TensorFlow itself is imported where it is used, on first use
    import tensorflow as tf

IMAGE_SIZE = 224  # VGG16's input: IMAGE_SIZE × IMAGE_SIZE × 3
# VGG16's "caffe" preprocessing: BGR channel order, ImageNet channel means subtracted.
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)
RESIZE_MODES = ("crop", "pad")
# The formats tf.io.decode_image reads, as Pillow names them (a camera's MPO is a JPEG to it);
# ingestion keeps no image of another format, though Pillow may read it (TIFF, ICO, PSD…).
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


def exif_orientation(path: str) -> int:
    """The EXIF orientation of the image file at ``path``: 1 (upright) to 8; 1 when the file
    has none, an invalid one, or cannot be read (decoding then says whether it is an image).
    Only the header is read, as Pillow opens it; no pixel is decoded."""
    try:
        with Image.open(path) as image:
            if "exif" not in image.info:  # read with the header (a PNG's eXIf after its
                return 1  # pixels is not looked for: that would decode them)
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError…
        return 1
    return orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1


def exif_orientations(paths: Sequence[str]) -> list[int]:
    """:func:`exif_orientation` of each of ``paths``, in order."""
    return [exif_orientation(path) for path in paths]


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


def _load_image(path, orientation, resize: str):
    """Read, decode (JPEG/PNG/GIF/BMP/WebP), turn upright as the EXIF ``orientation`` (1-8)
    says, resize to 224×224 and apply VGG16's preprocessing."""
    import tensorflow as tf

    # Resized from uint8 (the resize computes in float32 and returns float32): a float32 copy
    # of the full-size image first took 4 bytes a pixel more (+1.7 GB peak for 144 Mpx).
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = _upright(image, orientation)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    if resize == "pad":
        longer = tf.cast(tf.maximum(height, width), tf.float32)
        scaled = tf.cast(tf.stack([height, width]), tf.float32) * (IMAGE_SIZE / longer)
        # at least one pixel: a 3000 × 1 image scales to 224 × 0.07
        image = tf.image.resize(image, tf.maximum(tf.cast(scaled, tf.int32), 1), antialias=True)
    else:
        # The centre square is cut before it is scaled: scaling a 3000 × 1 image's shorter
        # side to 224 first made a 672,000 × 224 float32 image (1.8 GB) from 100 bytes.
        side = tf.minimum(height, width)
        image = tf.image.resize_with_crop_or_pad(image, side, side)
        image = tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE), antialias=True)
    image = tf.image.resize_with_crop_or_pad(image, IMAGE_SIZE, IMAGE_SIZE)  # pad: centred
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image[..., ::-1] - tf.constant(IMAGENET_BGR_MEANS)


@functools.cache
def _indexed_image_loader(resize: str):
    """``(index, path, orientation) -> (index, image)`` as one ``tf.function`` per resize mode:
    every dataset reuses its trace instead of tracing the map function anew."""
    import tensorflow as tf

    return tf.function(
        lambda index, path, orientation: (index, _load_image(path, orientation, resize)),
        autograph=False,
    )


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
    for index, (path, orientation) in enumerate(zip(paths, exif_orientations(paths), strict=True)):
        try:
            decoded.append(
                (index, _load_image(tf.constant(path), tf.constant(orientation), resize))
            )
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
    fixed 1, not ``AUTOTUNE``: memory stays bounded by the batch size). Each image's EXIF
    orientation is read first (:func:`exif_orientations`, headers only)."""
    import tensorflow as tf

    from insta_kedro.vision.tf_data import without_autotune_model

    slices = (tf.range(len(paths)), tf.constant(list(paths)), exif_orientations(paths))
    dataset = (
        tf.data.Dataset.from_tensor_slices(slices)
        .map(_indexed_image_loader(resize), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .batch(batch_size)
        .prefetch(1)
    )
    return without_autotune_model(dataset)
