"""Tests of the VGG16 network definition."""

import numpy as np

from insta_kedro.vision.vgg16_network import vgg16_network


def test_float32_and_bfloat16_networks_of_one_seed_hold_the_same_weights():
    float32 = vgg16_network(include_top=False, seed=7, dtype="float32")
    bfloat16 = vgg16_network(include_top=False, seed=7, dtype="bfloat16")
    assert {w.dtype for w in float32.weights} == {"float32"}
    assert {w.dtype for w in bfloat16.weights} == {"bfloat16"}
    for wide, narrow in zip(float32.weights, bfloat16.weights, strict=True):
        # drawn in bfloat16 for both
        np.testing.assert_array_equal(np.asarray(wide), np.asarray(narrow).astype(np.float32))
    kernel = np.asarray(float32.get_layer("block1_conv1").kernel)
    limit = np.sqrt(6 / (3 * 3 * 3 + 3 * 3 * 64))  # Glorot-uniform: fan in + fan out
    assert np.abs(kernel).max() <= limit and kernel.std() > limit / 3
