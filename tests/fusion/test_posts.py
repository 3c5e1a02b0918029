"""The image feature matrix of fusion: posts order, the rows it cannot use, and the blocks it
is stacked in."""

import numpy as np
import pandas as pd
import pytest

from insta_kedro.fusion import posts as fusion_posts


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
