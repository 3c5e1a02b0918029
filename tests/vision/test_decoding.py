"""Tests of the image decoding: one by one and through tf.data, the same pixels."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageOps

from insta_kedro.vision import decoding as image_decoding


def _decoded(batches) -> tuple[np.ndarray, np.ndarray]:
    indices, images = zip(*((i.numpy(), x.numpy()) for i, x in batches), strict=True)
    return np.concatenate(indices), np.concatenate(images)


def test_a_few_images_decoded_one_by_one_equal_the_tf_data_pipeline(image_paths, monkeypatch):
    assert len(image_paths) <= image_decoding.ONE_BY_ONE_MAX
    one_by_one = _decoded(image_decoding.start_decoding(image_paths, "crop", 2))
    monkeypatch.setattr(image_decoding, "ONE_BY_ONE_MAX", 0)
    pipelined = _decoded(image_decoding.start_decoding(image_paths, "crop", 2))

    np.testing.assert_array_equal(one_by_one[0], [0, 1, 2])  # garbage and truncated skipped
    np.testing.assert_array_equal(one_by_one[0], pipelined[0])
    np.testing.assert_array_equal(one_by_one[1], pipelined[1])
    assert one_by_one[1].shape == (3, 224, 224, 3)


def test_the_image_pipeline_runs_without_the_autotuning_model(image_paths):
    # Its optimization thread made destroying a finished iterator wait (insta_kedro.vision.tf_data).
    batches = image_decoding.image_batches(image_paths, "crop", 2)
    assert batches.options().autotune.enabled is False
    np.testing.assert_array_equal(_decoded(batches)[0], [0, 1, 2])


def test_decoding_a_few_images_in_a_new_process_while_keras_imports(image_paths):
    # The thread that decodes must not be the first to import TensorFlow: two threads
    # importing it at once left a half-initialised module ("no attribute 'DatasetV2'").
    script = (
        "import sys\n"
        "from insta_kedro.vision.decoding import start_decoding\n"
        "batches = start_decoding(sys.argv[1:], 'crop', 2)\n"
        "import keras\n"
        "print(sum(len(indices) for indices, _ in batches))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *image_paths],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "3"


def _quadrants(height: int = 60, width: int = 40) -> Image.Image:
    """An image that no flip or rotation leaves unchanged: four coloured quadrants."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[: height // 2, : width // 2] = (230, 20, 20)
    pixels[: height // 2, width // 2 :] = (20, 230, 20)
    pixels[height // 2 :, : width // 2] = (20, 20, 230)
    pixels[height // 2 :, width // 2 :] = (230, 230, 20)
    return Image.fromarray(pixels)


# What a camera stores for each EXIF orientation: the inverse of the transposition that
# shows the photo upright (Pillow's ImageOps.exif_transpose applies that one).
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("resize", ["crop", "pad"])
@pytest.mark.parametrize("one_by_one", [True, False])
def test_a_photo_with_an_exif_orientation_is_decoded_upright(
    tmp_path, monkeypatch, resize, one_by_one
):
    upright = _quadrants()
    upright.save(tmp_path / "upright.png")
    paths = [str(tmp_path / "upright.png")]
    for orientation, stored in STORED_AS.items():
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        image = upright if stored is None else upright.transpose(stored)
        image.save(tmp_path / f"{orientation}.png", exif=exif)
        with Image.open(tmp_path / f"{orientation}.png") as saved:  # the test's own premise
            assert np.array_equal(ImageOps.exif_transpose(saved), upright)
        paths.append(str(tmp_path / f"{orientation}.png"))
    if not one_by_one:
        monkeypatch.setattr(image_decoding, "ONE_BY_ONE_MAX", 0)

    indices, images = _decoded(image_decoding.start_decoding(paths, resize, 4))

    np.testing.assert_array_equal(indices, range(len(paths)))
    for orientation, image in zip(STORED_AS, images[1:], strict=True):
        np.testing.assert_allclose(
            image, images[0], atol=1e-3, err_msg=f"orientation {orientation}"
        )


def test_a_phone_jpeg_rotated_by_exif_is_decoded_upright(tmp_path):
    upright = _quadrants(300, 200)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held upright, stored sideways: most phone photos
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "phone.jpg", exif=exif)
    upright.save(tmp_path / "upright.jpg")

    _, (phone, reference) = _decoded(
        image_decoding.start_decoding(
            [str(tmp_path / "phone.jpg"), str(tmp_path / "upright.jpg")], "crop", 2
        )
    )

    assert np.abs(phone - reference).mean() < 2  # JPEG's blocks differ, the quadrants do not


def test_an_unreadable_or_odd_orientation_is_read_as_upright(tmp_path):
    paths = []
    for name, value in [("zero", 0), ("nine", 9), ("large", 65535)]:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = value
        _quadrants().save(tmp_path / f"{name}.jpg", exif=exif)
        paths.append(str(tmp_path / f"{name}.jpg"))
    (tmp_path / "garbage.jpg").write_bytes(b"not an image")
    paths.append(str(tmp_path / "garbage.jpg"))

    assert image_decoding.read_headers(paths) == ([1, 1, 1, 1], [False] * 4)


@pytest.mark.parametrize("resize", ["crop", "pad"])
def test_an_image_one_pixel_thin_is_decoded(tmp_path, resize):
    Image.new("RGB", (3000, 1), (10, 200, 30)).save(tmp_path / "wide.png")
    Image.new("RGB", (1, 3000), (10, 200, 30)).save(tmp_path / "tall.png")
    paths = [str(tmp_path / "wide.png"), str(tmp_path / "tall.png")]

    indices, images = _decoded(image_decoding.start_decoding(paths, resize, 2))

    np.testing.assert_array_equal(indices, [0, 1])
    # the middle pixel, where pad's line of one pixel lies too: back to RGB
    middle = (images[:, 111, 111] + image_decoding.IMAGENET_BGR_MEANS)[:, ::-1]
    np.testing.assert_allclose(middle, [[10, 200, 30]] * 2, atol=1e-3)


def test_cropping_a_thin_image_takes_little_memory(tmp_path):
    # A 100-byte PNG of 3000 x 1 pixels was scaled to 672,000 x 224 before its centre was
    # cut: 1.8 GB of float32 (a 30,000 x 1 PNG took 18 GB and the run was killed).
    Image.new("RGB", (3000, 1), (10, 200, 30)).save(tmp_path / "wide.png")
    Image.new("RGB", (300, 300), (10, 200, 30)).save(tmp_path / "square.png")
    script = (
        "import resource, sys\n"
        "from insta_kedro.vision.decoding import start_decoding\n"
        "list(start_decoding([sys.argv[1]], 'crop', 1))\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "list(start_decoding([sys.argv[2]], 'crop', 1))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "square.png"), str(tmp_path / "wide.png")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) < 200 * 1024  # kilobytes


@pytest.mark.parametrize("one_by_one", [True, False])
def test_a_webp_with_transparency_is_decoded(tmp_path, monkeypatch, one_by_one):
    # TensorFlow's WebP decoder refuses three channels of a WebP that has four.
    paths = []
    for name, options in [("lossless", {"lossless": True}), ("lossy", {"quality": 90})]:
        Image.new("RGBA", (40, 30), (10, 200, 30, 128)).save(tmp_path / f"{name}.webp", **options)
        paths.append(str(tmp_path / f"{name}.webp"))
    Image.new("RGB", (40, 30), (10, 200, 30)).save(tmp_path / "opaque.webp", lossless=True)
    paths.append(str(tmp_path / "opaque.webp"))
    if not one_by_one:
        monkeypatch.setattr(image_decoding, "ONE_BY_ONE_MAX", 0)

    indices, images = _decoded(image_decoding.start_decoding(paths, "crop", 4))

    np.testing.assert_array_equal(indices, [0, 1, 2])
    rgb = (images[:, 111, 111] + image_decoding.IMAGENET_BGR_MEANS)[:, ::-1]
    np.testing.assert_allclose(rgb, [[10, 200, 30]] * 3, atol=3)


def test_a_transparent_webp_with_unreadable_exif_is_decoded(tmp_path):
    # Its EXIF cannot be read: it is upright, and still a WebP with an alpha channel.
    path = tmp_path / "bad_exif.webp"
    Image.new("RGBA", (40, 30), (10, 200, 30, 128)).save(path, exif=b"Exif\x00\x00garbage")

    indices, images = _decoded(image_decoding.start_decoding([str(path)], "crop", 1))

    np.testing.assert_array_equal(indices, [0])
    rgb = (images[:, 111, 111] + image_decoding.IMAGENET_BGR_MEANS)[:, ::-1]
    np.testing.assert_allclose(rgb, [[10, 200, 30]], atol=3)
