"""Tests of the incremental feature cache."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from insta_kedro.vision import feature_cache
from insta_kedro.vision.feature_cache import FeatureCache

CONFIG = {"model": "vgg16", "layer": "pool", "precision": "float32"}


def _rows(hashes: list[str], size: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(len(hashes))
    return pd.DataFrame(
        {
            "image_sha256": hashes,
            "feature": [rng.random(size, dtype=np.float32) for _ in hashes],
            "labels": [["tabby", "tiger_cat"] for _ in hashes],
            "probabilities": [np.array([0.7, 0.2], dtype=np.float32) for _ in hashes],
            "error": None,
        }
    )


def test_put_then_get_returns_exactly_the_stored_rows_and_persists(tmp_path):
    rows = _rows(["a", "b", "c"])
    FeatureCache(tmp_path, "key1", CONFIG).put(rows)

    reopened = FeatureCache(tmp_path, "key1", CONFIG)  # a later run
    found = reopened.get(["c", "a", "unknown"]).set_index("image_sha256")
    assert sorted(found.index) == ["a", "c"]
    np.testing.assert_array_equal(found.loc["a", "feature"], rows.loc[0, "feature"])
    assert found.loc["a", "feature"].dtype == np.float32
    assert list(found.loc["c", "labels"]) == ["tabby", "tiger_cat"]
    assert len(reopened) == 3


def test_decode_errors_are_remembered_with_a_null_feature(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    cache.put(
        pd.DataFrame(
            {
                "image_sha256": ["bad"],
                "feature": [None],
                "labels": [None],
                "probabilities": [None],
                "error": ["cannot decode image"],
            }
        )
    )
    found = cache.get(["bad"])
    assert found.loc[0, "error"] == "cannot decode image"
    assert found.loc[0, "feature"] is None


def test_another_configuration_sees_nothing_and_a_mismatch_is_refused(tmp_path):
    FeatureCache(tmp_path, "key1", CONFIG).put(_rows(["a"]))
    assert FeatureCache(tmp_path, "key2", {**CONFIG, "layer": "fc2"}).get(["a"]).empty
    with pytest.raises(ValueError, match="another configuration"):
        FeatureCache(tmp_path, "key1", {**CONFIG, "layer": "fc2"})


def test_an_unreadable_part_is_ignored_and_counted(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    cache.put(_rows(["a"]))
    (cache.folder / "part-0-broken.parquet").write_bytes(b"not parquet")
    found = cache.get(["a"])
    assert list(found["image_sha256"]) == ["a"]
    assert cache.unreadable_parts == 1


def test_compact_merges_parts_and_keeps_every_row(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    for name in "abcd":
        cache.put(_rows([name]))
    assert len(cache.parts()) == 4
    cache.compact(max_parts=2)
    assert len(cache.parts()) == 1
    assert sorted(cache.get("abcde")["image_sha256"]) == ["a", "b", "c", "d"]


def test_an_unreadable_configuration_file_is_written_again_and_the_parts_kept(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    cache.put(_rows(["a"]))
    (cache.folder / "config.json").write_text('{"model": "vg')  # cut short by a crash
    reopened = FeatureCache(tmp_path, "key1", CONFIG)
    assert list(reopened.get(["a"])["image_sha256"]) == ["a"]
    with pytest.raises(ValueError, match="another configuration"):
        FeatureCache(tmp_path, "key1", {**CONFIG, "layer": "fc2"})


def test_compact_copies_row_group_by_row_group_and_keeps_the_newest_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(feature_cache, "ROW_GROUP_ROWS", 3)
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    first = _rows(list("abcde"))
    cache.put(first)
    newer = _rows(["b"], size=4).assign(feature=[np.full(4, 9, np.float32)])
    cache.put(newer)
    cache.put(_rows(list("fg")))
    cache.compact(max_parts=2)
    (part,) = cache.parts()
    metadata = pq.ParquetFile(part).metadata
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [3, 3, 1]
    found = cache.get("gfedcba").set_index("image_sha256")
    assert sorted(found.index) == list("abcdefg")  # each hash once
    np.testing.assert_array_equal(found.loc["b", "feature"], np.full(4, 9))
    np.testing.assert_array_equal(found.loc["e", "feature"], first.loc[4, "feature"])


def test_features_are_given_in_the_order_asked_across_parts_and_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(feature_cache, "ROW_GROUP_ROWS", 2)
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    rows = _rows(list("abcde"))
    cache.put(rows.iloc[:3])
    cache.put(rows.iloc[3:])
    located = cache.locate("abcde")
    asked = ["e", None, "a", "zz", "c", "a"]
    values = located.features(asked).to_pylist()
    by_hash = dict(zip(rows["image_sha256"], rows["feature"], strict=True))
    for hash_, value in zip(asked, values, strict=True):
        if hash_ in by_hash:
            np.testing.assert_allclose(value, by_hash[hash_])
        else:
            assert value is None


def test_a_part_whose_features_cannot_be_read_is_named_in_the_error(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    part = cache.put(_rows(list("ab")))
    metadata = pq.ParquetFile(part).metadata
    columns = [metadata.row_group(0).column(i) for i in range(metadata.num_columns)]
    (feature,) = [c for c in columns if c.path_in_schema == "feature.list.element"]
    offset = feature.data_page_offset
    with part.open("r+b") as file:  # the feature column's page header, overwritten
        file.seek(offset)
        file.write(b"\xff" * 16)
    located = cache.locate("ab")  # the hashes and errors are still readable
    assert sorted(located.rows.index) == ["a", "b"]
    with pytest.raises(feature_cache.UnreadableCacheError, match=f"{part.name}.*remove"):
        located.features(["a"])


def test_compact_removes_a_part_whose_rows_all_have_newer_copies(tmp_path):
    cache = FeatureCache(tmp_path, "key1", CONFIG)
    cache.put(_rows(["a"]))
    cache.put(_rows(["a", "b"]))  # the first part's only row, newer
    cache.compact(max_parts=1)
    (part,) = cache.parts()
    assert pq.ParquetFile(part).metadata.num_rows == 2
