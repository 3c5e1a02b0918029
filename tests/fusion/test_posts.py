"""The image block of fusion: posts order, the rows it cannot use, the blocks it is reduced in
and the sample its PCA is fitted on."""

import numpy as np
import pandas as pd

from insta_kedro.fusion import posts as fusion_posts
from insta_kedro.kedro_ext import LazyParquetDataset
from tests.fusion.conftest import NO_IMAGES, NO_LABELS


def test_the_rows_are_in_posts_order_and_bad_ones_are_counted():
    rng = np.random.default_rng(0)
    vectors = {f"p{i}": rng.normal(size=4).astype(np.float32) for i in range(7)}
    order = ["p6", "p0", "p3", "p2", "p5", "p1", "p9", "p4"]
    image_features = pd.DataFrame(
        {
            "post_id": order,
            "feature": [vectors.get(p, np.ones(4, np.float32)) for p in order],
            "error": [None, None, "corrupt image", None, None, None, None, None],
        }
    )
    post_ids = pd.Series(["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"])
    rows, counts = fusion_posts.image_feature_rows(post_ids, image_features)
    # p3's row has an error, p7 has no row, p9 is no post.
    assert rows.mask.tolist() == [True, True, True, False, True, True, True, False]
    assert counts["with_error"] == 1 and counts["unknown_post"] == 1 and counts["used"] == 6
    assert rows.width == 4
    [(at, matrix)] = list(rows.read())
    assert matrix.dtype == np.float32
    assert sorted(at.tolist()) == list(range(6))
    for position, row in zip(at, matrix, strict=True):
        np.testing.assert_array_equal(row, vectors[post_ids[rows.mask].iloc[position]])


def test_a_sample_of_the_rows_is_read_in_blocks_from_a_lazy_table(monkeypatch, tmp_path):
    n = 50
    vectors = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    frame = pd.DataFrame(
        {"post_id": [f"p{i}" for i in range(n)], "feature": list(vectors), "error": None}
    )
    dataset = LazyParquetDataset(filepath=tmp_path / "f.parquet", save_args={"row_group_size": 7})
    dataset.save(frame.iloc[::-1])  # the table's order is not the posts'
    monkeypatch.setattr(fusion_posts, "STACK_BLOCK", 8)
    rows, counts = fusion_posts.image_feature_rows(frame["post_id"], dataset.load())
    assert counts["used"] == n and rows.width == 3
    sample = np.array([1, 4, 9, 30, 49])
    read = list(rows.read(sample))
    assert len(read) > 1  # several blocks of at most 8 rows
    positions = np.concatenate([at for at, _ in read])
    assert sorted(positions.tolist()) == sample.tolist()
    for at, matrix in read:
        np.testing.assert_array_equal(matrix, vectors[at])


def _random_image_features(post_ids: list[str], width: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "post_id": post_ids,
            "image_sha256": [f"{i:064x}" for i in range(len(post_ids))],
            "feature": list(rng.gamma(1.0, 1.0, (len(post_ids), width)).astype(np.float32)),
            "encoder": "vgg16-pool-random",
            "error": None,
        }
    )


def test_the_image_block_is_the_same_whatever_the_block(monkeypatch, fused_demo, fusion_params):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    with_image = posts["post_id"].iloc[::3].tolist() + posts["post_id"].iloc[1::3].tolist()
    image_features = _random_image_features(with_image, 64, seed=1)

    def fused(block: int) -> np.ndarray:
        monkeypatch.setattr(fusion_posts, "STACK_BLOCK", block)
        post_features, summary, _ = fusion_posts.fuse_posts(
            posts, text_features, image_features, NO_LABELS, {}, fusion_params
        )
        assert summary["image_features"]["used"] == len(with_image)
        return np.stack(post_features["feature"].to_numpy())

    # BLAS may pick another kernel for a block of a few rows: float32 rounding, no more.
    np.testing.assert_allclose(fused(5), fused(65_536), rtol=1e-5, atol=1e-6)


def test_a_lazy_parquet_table_fuses_as_the_frame_it_was_saved_from(
    tmp_path, fused_demo, fusion_params
):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    image_features = _random_image_features(posts["post_id"].iloc[::2].tolist(), 64, seed=3)
    image_features.loc[3, "error"] = "corrupt image"
    dataset = LazyParquetDataset(filepath=tmp_path / "f.parquet", save_args={"row_group_size": 10})
    dataset.save(image_features)

    def fused(table) -> tuple[np.ndarray, dict]:
        post_features, summary, _ = fusion_posts.fuse_posts(
            posts, text_features, table, NO_LABELS, {}, fusion_params
        )
        return np.stack(post_features["feature"].to_numpy()), summary

    from_frame, frame_summary = fused(image_features)
    from_table, table_summary = fused(dataset.load())
    assert table_summary == frame_summary
    assert frame_summary["image_features"]["with_error"] == 1
    np.testing.assert_allclose(from_table, from_frame, rtol=1e-5, atol=1e-6)


def test_the_image_pca_is_fitted_on_a_seeded_sample_above_max_fit(fused_demo, fusion_params):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    image_features = _random_image_features(posts["post_id"].tolist(), 64, seed=2)

    def fuse(max_fit: int):
        params = {**fusion_params, "image_pca_max_fit": max_fit}
        return fusion_posts.fuse_posts(posts, text_features, image_features, NO_LABELS, {}, params)

    exact, exact_summary, exact_model = fuse(len(posts))
    assert exact_summary["image_pca"] == {"fitted_on": len(posts), "sampled": False}
    assert exact_model.image_pca.n_samples_ == len(posts)
    sampled, summary, model = fuse(100)
    assert summary["image_pca"] == {"fitted_on": 100, "sampled": True}
    assert model.image_pca.n_samples_ == 100
    # every post is still reduced and fused, by the PCA of the sample
    assert summary["image_features"]["used"] == len(posts)
    assert (sampled["confidence_image"] > 0).all()
    again, _, _ = fuse(100)  # the sample is seeded
    np.testing.assert_array_equal(
        np.stack(again["feature"].to_numpy()), np.stack(sampled["feature"].to_numpy())
    )
    assert not np.allclose(
        np.stack(sampled["feature"].to_numpy()), np.stack(exact["feature"].to_numpy())
    )


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


def test_each_post_says_which_encoder_made_the_image_feature_in_its_vector(
    tmp_path, fused_demo, fusion_params
):
    posts, text_features = fused_demo.posts, fused_demo.text_features
    ids = posts["post_id"].tolist()
    image_features = _random_image_features(ids[:6], 64, seed=4)
    image_features.loc[3:, "encoder"] = "vgg16-pool-imagenet"  # a stale mix
    image_features.loc[1, "error"] = "corrupt image"
    dataset = LazyParquetDataset(filepath=tmp_path / "f.parquet", save_args={"row_group_size": 4})
    dataset.save(image_features.iloc[::-1])
    expected = [
        "vgg16-pool-random",
        None,  # its feature has an error: no image in its vector
        "vgg16-pool-random",
        "vgg16-pool-imagenet",
        "vgg16-pool-imagenet",
        "vgg16-pool-imagenet",
        *[None] * (len(ids) - 6),  # no image feature
    ]
    for table in (image_features, dataset.load()):
        post_features, _, _ = fusion_posts.fuse_posts(
            posts, text_features, table, NO_LABELS, {}, fusion_params
        )
        assert post_features["image_encoder"].tolist() == expected


def test_without_an_image_block_no_post_names_an_encoder(fused_demo):
    assert fused_demo.post_features["image_encoder"].isna().all()


def test_text_features_of_other_posts_name_the_pipeline_to_run(fused_demo, fusion_params, caplog):
    """post_text_features of an earlier download (ingestion ran again, text_features did not):
    the report and the log say why the caption blocks are empty, and what to run."""
    posts, text_features = fused_demo.posts, fused_demo.text_features
    others = text_features.assign(post_id="other-" + text_features["post_id"])
    _, summary, _ = fusion_posts.fuse_posts(posts, others, NO_IMAGES, NO_LABELS, {}, fusion_params)
    assert summary["posts_without_text_features"] == len(posts)
    for block in ("own_text", "gen_text"):
        assert summary["blocks"][block] == {
            "used": False,
            "reason": fusion_posts.NO_TEXT_FEATURES,
        }
    assert "`kedro run --pipelines=text_features`" in fusion_posts.NO_TEXT_FEATURES
    assert f"{len(posts)} of {len(posts)} posts have no row in post_text_features" in caplog.text
    assert "Run `kedro run --pipelines=text_features` for these posts" in caplog.text
