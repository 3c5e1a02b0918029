"""The image feature matrix of fusion: posts order, the rows it cannot use, and the blocks it
is stacked in."""

import numpy as np
import pandas as pd
import pytest

from insta_kedro.fusion import posts as fusion_posts
from tests.fusion.conftest import NO_IMAGES, NO_LABELS


@pytest.mark.parametrize("block", [2, 3, 65_536])
def test_the_matrix_is_in_posts_order_whatever_the_stacking_block(monkeypatch, block):
    monkeypatch.setattr(fusion_posts, "STACK_BLOCK", block)
    rng = np.random.default_rng(0)
    vectors = {f"p{i}": rng.normal(size=4).astype(np.float32) for i in range(7)}
    image_features = pd.DataFrame(
        {
            "post_id": ["p6", "p0", "p3", "p2", "p5", "p1", "p9", "p4"],
            "feature": [
                vectors.get(p, np.ones(4, np.float32))
                for p in ["p6", "p0", "p3", "p2", "p5", "p1", "p9", "p4"]
            ],
            "error": [None, None, "corrupt image", None, None, None, None, None],
        }
    )
    post_ids = pd.Series(["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"])
    matrix, mask, counts = fusion_posts.image_feature_matrix(post_ids, image_features)
    # p3's row has an error, p7 has no row, p9 is no post.
    assert mask.tolist() == [True, True, True, False, True, True, True, False]
    assert counts["with_error"] == 1 and counts["unknown_post"] == 1 and counts["used"] == 6
    for row, post in enumerate(post_ids):
        expected = vectors[post] if mask[row] else np.zeros(4, np.float32)
        np.testing.assert_array_equal(matrix[row], expected)
    assert matrix.dtype == np.float32


def test_the_image_block_is_the_same_whatever_the_block(monkeypatch, fused_demo, fusion_params):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    rng = np.random.default_rng(1)
    with_image = posts["post_id"].iloc[::3].tolist() + posts["post_id"].iloc[1::3].tolist()
    image_features = pd.DataFrame(
        {
            "post_id": with_image,
            "image_sha256": [f"{i:064x}" for i in range(len(with_image))],
            "feature": list(rng.gamma(1.0, 1.0, (len(with_image), 64)).astype(np.float32)),
            "encoder": "vgg16-pool-random",
            "error": None,
        }
    )

    def fused(block: int) -> np.ndarray:
        monkeypatch.setattr(fusion_posts, "STACK_BLOCK", block)
        post_features, summary, _ = fusion_posts.fuse_posts(
            posts, text_features, image_features, NO_LABELS, {}, fusion_params
        )
        assert summary["image_features"]["used"] == len(with_image)
        return np.stack(post_features["feature"].to_numpy())

    # BLAS may pick another kernel for a block of a few rows: float32 rounding, no more.
    np.testing.assert_allclose(fused(5), fused(65_536), rtol=1e-5, atol=1e-6)


def test_posts_without_text_features_get_zero_text_blocks(fused_demo, fusion_params):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    missing = set(posts["post_id"].iloc[:5])
    fewer = text_features[~text_features["post_id"].isin(missing)]
    post_features, summary, _ = fusion_posts.fuse_posts(
        posts, fewer, NO_IMAGES, NO_LABELS, {}, fusion_params
    )
    assert summary["posts_without_text_features"] == 5
    without = post_features[post_features["post_id"].isin(missing)]
    assert (without["confidence_own_text"] == 0).all()
    vectors = np.stack(post_features["feature"].to_numpy())
    assert np.isfinite(vectors).all()
