"""Block fusion: standardize, L2, weight × confidence."""

import numpy as np
import pytest

from insta_kedro.fusion.model import (
    FeatureBlock,
    fit_pca,
    fuse_blocks,
    l2_normalize,
    standardize,
    weighted_block,
)

RNG = np.random.default_rng(0)


def test_a_zero_confidence_block_contributes_nothing():
    features = RNG.normal(size=(6, 4)) * 100
    confidence = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.2])
    other = FeatureBlock("other", RNG.normal(size=(6, 3)), np.ones(6))
    fused, slices = fuse_blocks([FeatureBlock("a", features, confidence, 2.0), other])
    block = fused[:, slices["a"]]
    assert not block[[1, 3]].any()
    assert block[[0, 2, 4, 5]].any(axis=1).all()
    # the rows without block "a" are exactly what block "other" alone gives
    np.testing.assert_allclose(fused[[1, 3], slices["other"]], weighted_block(other)[[1, 3]])


def test_row_norm_is_weight_times_confidence():
    confidence = np.array([1.0, 0.5, 0.25, 0.0])
    block = FeatureBlock("a", RNG.normal(size=(4, 5)) * 1000 + 50, confidence, weight=3.0)
    norms = np.linalg.norm(weighted_block(block), axis=1)
    np.testing.assert_allclose(norms, 3.0 * confidence, rtol=1e-5)


def test_block_scale_does_not_matter_after_standardize_and_l2():
    features = RNG.normal(size=(8, 3))
    small = weighted_block(FeatureBlock("a", features, np.ones(8)))
    large = weighted_block(FeatureBlock("a", features * 1e4 + 7, np.ones(8)))
    np.testing.assert_allclose(small, large, atol=1e-5)


def test_standardize_uses_present_rows_and_zeroes_constant_columns():
    features = np.array([[1.0, 5.0], [3.0, 5.0], [100.0, 5.0]])
    scaled = standardize(features, np.array([True, True, False]))
    np.testing.assert_allclose(scaled[:2, 0], [-1.0, 1.0])
    assert not scaled[:, 1].any()
    assert not l2_normalize(np.zeros((2, 3))).any()


def test_nan_features_and_confidence_become_zero():
    block = FeatureBlock("a", [[np.nan, 1.0], [2.0, 3.0]], [np.nan, 1.0])
    assert np.isfinite(weighted_block(block)).all()
    assert block.confidence.tolist() == [0.0, 1.0]


def test_mismatched_blocks_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        FeatureBlock("a", np.zeros((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="different numbers"):
        fuse_blocks(
            [
                FeatureBlock("a", np.zeros((3, 2)), np.ones(3)),
                FeatureBlock("b", np.zeros((4, 2)), np.ones(4)),
            ]
        )


def test_pca_keeps_at_most_what_the_data_allows():
    assert fit_pca(RNG.normal(size=(5, 50)), 32).n_components_ == 5
    assert fit_pca(RNG.normal(size=(100, 50)), 32).n_components_ == 32
    assert fit_pca(RNG.normal(size=(0, 50)), 32) is None


@pytest.mark.parametrize("rows_at_a_time", [1, 3, 65_536])
def test_fusing_in_blocks_of_rows_gives_the_values_of_one_go(monkeypatch, rows_at_a_time):
    from insta_kedro.fusion import model

    blocks = [
        FeatureBlock("a", RNG.normal(size=(10, 4)) * 50, RNG.uniform(size=10), 2.0),
        FeatureBlock("b", RNG.normal(size=(10, 3)), np.ones(10), 0.5),
    ]
    whole = np.concatenate([weighted_block(block) for block in blocks], axis=1)
    monkeypatch.setattr(model, "FUSE_BLOCK", rows_at_a_time)
    fused, slices = fuse_blocks(blocks)
    assert fused.dtype == np.float32
    assert slices == {"a": slice(0, 4), "b": slice(4, 7)}
    np.testing.assert_array_equal(fused, whole)
