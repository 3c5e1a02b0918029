"""Image bytes from outside the app (an upload, a file an output points to), checked by content.

The content decides, never the file's name: a PNG named ``.jpg`` is a PNG, a PDF named ``.jpg``
is no image. Only the formats a browser shows are opened (no plugin that runs a program, such as
EPS), and an image declaring more pixels than Pillow's ``Image.MAX_IMAGE_PIXELS`` is refused
from its header, before any pixel is decoded (a decompression bomb).
"""

import io
import re

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")  # JPEG opens a camera's MPO too
FORMAT_NAMES = "JPEG, PNG, WebP, GIF or BMP"


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


def _declared_pixels(error: Exception) -> int | None:
    """The pixel count in Pillow's decompression bomb message (None when it names none)."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    return int(found.group(1)) if found else None


def open_header(data: bytes) -> Image.Image:
    """The image of ``data`` opened lazily: its header read and checked, no pixel decoded.

    Takes the file's bytes. Returns the opened (not loaded) image. Raises
    :class:`NotAnImageError` when the content is no image of :data:`ACCEPTED_FORMATS`, and
    :class:`TooManyPixelsError` when it declares more than ``Image.MAX_IMAGE_PIXELS`` pixels.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
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
