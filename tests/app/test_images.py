"""Image bytes checked by content: the formats a browser shows open, anything else, a damaged
file and a decompression bomb are refused, the bomb from its header alone."""

import io

import pytest
from PIL import ExifTags, Image

from insta_kedro.app.images import (
    ACCEPTED_FORMATS,
    FileTooLargeError,
    NotAnImageError,
    TooManyPixelsError,
    open_header,
    read_image,
    read_image_file,
)
from tests.app.conftest import bomb_png

RED = (200, 30, 60)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def red(mode: str = "RGB", size: tuple[int, int] = (7, 5)) -> Image.Image:
    return Image.new("RGB", size, RED).convert(mode)


def noisy_jpeg() -> bytes:
    return encoded(Image.effect_noise((64, 48), 60).convert("RGB"), "JPEG")


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF", "BMP"])
def test_each_accepted_format_opens_from_its_header(image_format):
    image = open_header(encoded(red(), image_format))
    assert image.format == image_format and image.size == (7, 5)
    assert image_format in ACCEPTED_FORMATS


@pytest.mark.parametrize(
    ("image_format", "exact"),
    [("PNG", True), ("GIF", True), ("BMP", True), ("WEBP", False), ("JPEG", False)],
)
def test_read_image_decodes_to_rgb(image_format, exact):
    image = read_image(encoded(red(), image_format))
    assert image.mode == "RGB" and image.size == (7, 5)
    pixel = image.getpixel((3, 2))
    if exact:
        assert pixel == RED
    else:  # lossy formats come close
        assert all(abs(a - b) <= 4 for a, b in zip(pixel, RED, strict=True))


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "LA"])
def test_images_of_other_modes_come_back_as_rgb(mode):
    image = read_image(encoded(red(mode), "PNG"))
    assert image.mode == "RGB" and image.size == (7, 5)


def test_a_phone_photo_stored_sideways_comes_back_upright():
    # A phone stores a portrait photo as a landscape and says so in its EXIF orientation: the
    # page showed and encoded it sideways.
    upright = Image.new("RGB", (40, 60), RED)
    upright.paste((20, 20, 230), (0, 0, 40, 30))  # the top half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    data = encoded(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif)

    image = read_image(data)

    assert image.size == (40, 60)
    top, bottom = image.getpixel((20, 10)), image.getpixel((20, 50))
    assert top[2] > 200 > top[0] and bottom[0] > 180 > bottom[2]


@pytest.mark.parametrize("image_format", ["WEBP", "JPEG"])
def test_a_photo_whose_exif_cannot_be_read_opens_as_it_is_stored(image_format):
    data = encoded(red(size=(40, 30)), image_format, exif=b"Exif\x00\x00not a TIFF block")

    image = read_image(data)

    assert image.mode == "RGB" and image.size == (40, 30)


def test_the_content_decides_not_the_name():
    # the same PNG bytes, whatever the upload was called: there is no name to go by
    assert open_header(encoded(red(), "PNG")).format == "PNG"
    with pytest.raises(NotAnImageError, match=r"not a known image format \(the content decides"):
        open_header(PDF)


@pytest.mark.parametrize("image_format", ["TIFF", "EPS", "ICO", "PPM"])
def test_formats_a_browser_does_not_show_are_refused_though_pillow_reads_them(image_format):
    data = encoded(red(), image_format)
    assert Image.open(io.BytesIO(data)).format == image_format  # Pillow itself would open it
    with pytest.raises(NotAnImageError, match="not a known image format"):
        open_header(data)
    with pytest.raises(NotAnImageError):
        read_image(data)


@pytest.mark.parametrize("data", [b"", b"just some text", PDF])
def test_bytes_that_are_no_image_are_refused(data):
    with pytest.raises(NotAnImageError):
        read_image(data)


def test_a_truncated_jpeg_passes_the_header_check_but_is_not_decoded():
    whole = noisy_jpeg()
    truncated = whole[: len(whole) // 3]
    assert open_header(truncated).size == (64, 48)  # only the header was read
    with pytest.raises(NotAnImageError, match="truncated"):
        read_image(truncated)
    assert read_image(whole).size == (64, 48)


def test_a_png_with_damaged_pixel_data_is_refused():
    data = bytearray(encoded(red(), "PNG"))
    at = data.index(b"IDAT") + 6
    data[at] ^= 0xFF  # one byte of the pixel data, its checksum now wrong
    with pytest.raises(NotAnImageError, match="broken PNG"):
        read_image(bytes(data))


def test_both_refusals_are_value_errors():
    assert issubclass(NotAnImageError, ValueError)
    assert issubclass(TooManyPixelsError, ValueError)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_over_the_pixel_limit_is_refused_with_its_size():
    # over MAX_IMAGE_PIXELS but under twice it: Pillow only warns, the header check refuses
    data = bomb_png(10_000, 10_000)
    for read in (open_header, read_image):
        with pytest.raises(TooManyPixelsError) as refused:
            read(data)
        assert refused.value.pixels == 100_000_000
        assert refused.value.limit == Image.MAX_IMAGE_PIXELS
        assert "declares 10,000 × 10,000 = 100,000,000 pixels" in str(refused.value)
        assert str(refused.value).endswith("it was not decoded")


def test_an_image_far_over_the_pixel_limit_is_refused_with_pillow_s_count():
    # over twice MAX_IMAGE_PIXELS Pillow itself raises; the count comes from its message
    with pytest.raises(TooManyPixelsError) as refused:
        open_header(bomb_png(100_000, 100_000))
    assert refused.value.pixels == 10_000_000_000
    limit = f"{Image.MAX_IMAGE_PIXELS:,}"
    assert f"declares 10,000,000,000 pixels, over Pillow's limit of {limit}" in str(refused.value)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_pixel_limit_is_pillow_s_setting(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 30)
    with pytest.raises(TooManyPixelsError, match="over Pillow's limit of 30 "):
        read_image(encoded(red(size=(7, 5)), "PNG"))  # 35 pixels
    assert read_image(encoded(red(size=(6, 5)), "PNG")).size == (6, 5)  # 30 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # no limit: the header opens
    assert open_header(bomb_png(100_000, 100_000)).size == (100_000, 100_000)


def test_a_refusal_without_a_pixel_count_says_more_than_the_limit():
    error = TooManyPixelsError(None)
    assert error.pixels is None
    assert "it declares more pixels than that, over Pillow's limit" in str(error)


def test_an_image_file_is_read_after_its_header_and_size_passed(tmp_path):
    photo, notes = tmp_path / "photo.jpg", tmp_path / "notes.jpg"
    photo.write_bytes(noisy_jpeg())
    notes.write_bytes(PDF)
    assert read_image_file(photo) == photo.read_bytes()
    with pytest.raises(FileTooLargeError, match=r"MB \(1,000 bytes\) a page reads"):
        read_image_file(photo, max_bytes=1000)
    with pytest.raises(NotAnImageError, match="not a known image format"):
        read_image_file(notes)
    with pytest.raises(OSError):
        read_image_file(tmp_path / "missing.jpg")
