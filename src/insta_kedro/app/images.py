"""Image bytes from outside the app (an upload, a file an output points to), checked by content.

The content decides, never the file's name: a PNG named ``.jpg`` is a PNG, a PDF named ``.jpg``
is no image. Only the formats a browser shows are opened (no plugin that runs a program, such as
EPS), and an image declaring more pixels than Pillow's ``Image.MAX_IMAGE_PIXELS`` is refused
from its header, before any pixel is decoded (a decompression bomb).
"""

import io
import os
import re
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")  # JPEG opens a camera's MPO too
FORMAT_NAMES = "JPEG, PNG, WebP, GIF or BMP"
MB = 1024 * 1024
MAX_FILE_MB = 50  # an image file a page shows; Instagram's photos are well under 1 MB


class NotAnImageError(ValueError):
    """The bytes are no image of :data:`ACCEPTED_FORMATS`, or a damaged one."""


class TooManyPixelsError(ValueError):
    """The image declares more pixels than Pillow decodes safely (``Image.MAX_IMAGE_PIXELS``)."""

    def __init__(self, pixels: int | None, size: tuple[int, int] | None = None):
        self.pixels = pixels
        self.limit = Image.MAX_IMAGE_PIXELS
        declared = f"{size[0]:,} × {size[1]:,} = " if size else ""
        amount = f"{declared}{pixels:,} pixels" if pixels else "more pixels than that"
        super().__init__(
            f"too large to decode safely: it declares {amount}, over Pillow's limit of "
            f"{self.limit:,} (`PIL.Image.MAX_IMAGE_PIXELS`); it was not decoded"
        )


class FileTooLargeError(ValueError):
    """An image file is larger than a page reads (:data:`MAX_FILE_MB`)."""

    def __init__(self, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            f"the image file is {size / MB:,.1f} MB ({size:,} bytes), over the "
            f"{limit / MB:g} MB ({limit:,} bytes) a page reads; it was not read"
        )


def _declared_pixels(error: Exception) -> int | None:
    """The pixel count in Pillow's decompression bomb message (None when it names none)."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    return int(found.group(1)) if found else None


def open_header(data: bytes | BinaryIO) -> Image.Image:
    """The image of ``data`` opened lazily: its header read and checked, no pixel decoded.

    Takes the file's bytes, or the file opened in binary mode (only its header is read).
    Returns the opened (not loaded) image. Raises
    :class:`NotAnImageError` when the content is no image of :data:`ACCEPTED_FORMATS`, and
    :class:`TooManyPixelsError` when it declares more than ``Image.MAX_IMAGE_PIXELS`` pixels.
    """
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        image = Image.open(source, formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise TooManyPixelsError(_declared_pixels(error)) from error
    except UnidentifiedImageError as error:
        raise NotAnImageError(
            "not a known image format (the content decides, not the name)"
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImageError(str(error) or type(error).__name__) from error
    width, height = image.size
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        raise TooManyPixelsError(width * height, (width, height))
    return image


def read_image_file(path: Path, max_bytes: int = MAX_FILE_MB * MB) -> bytes:
    """The bytes of the image file at ``path``, read only once its header and size passed.

    Takes the file's path and the most bytes to read. Returns its bytes after
    :func:`open_header` accepted its header (the rest of the file is not read before).
    Raises :class:`NotAnImageError` or :class:`TooManyPixelsError` from the header,
    :class:`FileTooLargeError` when the file holds more than ``max_bytes``, and ``OSError``
    when it cannot be read.
    """
    with path.open("rb") as file:
        open_header(file)
        size = os.fstat(file.fileno()).st_size
        if size > max_bytes:
            raise FileTooLargeError(size, max_bytes)
        file.seek(0)
        data = file.read(max_bytes + 1)  # the file may have grown since
    if len(data) > max_bytes:
        raise FileTooLargeError(len(data), max_bytes)
    return data


def read_image(data: bytes) -> Image.Image:
    """The image of ``data`` decoded as RGB and upright (turned as its EXIF orientation says,
    as a phone's photo must be; as stored when its EXIF cannot be read), after
    :func:`open_header` passed.

    Takes the file's bytes. Returns an RGB image. Raises :class:`NotAnImageError` (a damaged
    or truncated file included) or :class:`TooManyPixelsError`, both ``ValueError``.
    """
    try:
        open_header(data).verify()
        image = open_header(data)
        image.load()
        return _upright(image).convert("RGB")
    except (NotAnImageError, TooManyPixelsError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise TooManyPixelsError(_declared_pixels(error)) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImageError(str(error) or type(error).__name__) from error


def _upright(image: Image.Image) -> Image.Image:
    """``image`` turned as its EXIF orientation says; ``image`` itself when its EXIF block
    cannot be read (its pixels are fine: it is shown as stored)."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError):  # Pillow's errors for a damaged EXIF block
        return image
