"""Tests of the image decoding: one by one and through tf.data, the same pixels."""

import subprocess
import sys

import numpy as np

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
