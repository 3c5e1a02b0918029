"""Tests of the image decoding: one by one and through tf.data, the same pixels."""

import numpy as np

from insta_kedro import image_decoding


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
    # Its optimization thread made destroying a finished iterator wait (insta_kedro.tf_data_tuning).
    batches = image_decoding.image_batches(image_paths, "crop", 2)
    assert batches.options().autotune.enabled is False
    np.testing.assert_array_equal(_decoded(batches)[0], [0, 1, 2])
