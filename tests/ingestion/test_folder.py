"""Tests of the instaloader-folder parser, on small downloads written in tmp_path and on
the real shared download (read by path)."""

import json
import lzma
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFile

from insta_kedro.ingestion.folder import (
    POST_COLUMNS,
    POST_DTYPES,
    PROFILE_COLUMNS,
    ROOT_KEY,
    parse_download_folder,
)

STEM = "2021-03-04_18-22-10_UTC"
STEM_TS = 1614882130  # 2021-03-04 18:22:10 UTC


# ---------------------------------------------------------------------- fixture writers
def write_json_xz(path: Path, node: dict[str, Any], node_type: str = "Post") -> None:
    document = {"node": node, "instaloader": {"version": "4.16", "node_type": node_type}}
    path.write_bytes(lzma.compress(json.dumps(document).encode("utf-8")))


def write_jpeg(path: Path, size: tuple[int, int] = (48, 32), seed: int = 0) -> None:
    """A small noisy JPEG (noise keeps the scan data long enough to truncate)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)


def write_truncated_jpeg(path: Path) -> None:
    write_jpeg(path, seed=7)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_mp4(path: Path) -> None:
    path.write_bytes(b"\x00\x00\x00\x20ftypisom" + bytes(20))


def graphql_node(
    shortcode: str,
    timestamp: int = STEM_TS,
    caption: str | None = "Sunny #Beach day with @Anna.Cooks.",
    typename: str = "GraphImage",
    children: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "__typename": typename,
        "shortcode": shortcode,
        "id": "123",
        "taken_at_timestamp": timestamp,
        "is_video": typename == "GraphVideo",
        "edge_media_to_caption": {"edges": [{"node": {"text": caption}}] if caption else []},
        "edge_media_preview_like": {"count": 10},
        "edge_media_to_comment": {"count": 2},
        "owner": {"id": "42", "username": "anna.cooks"},
        "accessibility_caption": "Photo of a beach.",
        "dimensions": {"height": 32, "width": 48},
        "display_url": "https://example.invalid/x.jpg",
    }
    if children is not None:
        node["edge_sidecar_to_children"] = {"edges": [{"node": child} for child in children]}
    return node


def iphone_node(shortcode: str, timestamp: int = STEM_TS, caption: str | None = "Hi #日本") -> dict:
    """The node instaloader's `Post.from_iphone_struct` saves (logged-in downloads)."""
    return {
        "shortcode": shortcode,
        "id": "987",
        "__typename": "GraphImage",
        "is_video": False,
        "date": timestamp,
        "caption": caption,
        "title": None,
        "viewer_has_liked": False,
        "edge_media_preview_like": {"count": 7},
        "accessibility_caption": None,
        "comments": 3,
        "iphone_struct": {"code": shortcode, "pk": "987", "media_type": 1},
    }


def write_profile_json(folder: Path, username: str, user_id: str = "42") -> None:
    node = {
        "username": username,
        "id": user_id,
        "full_name": "Anna Cooks",
        "biography": "I cook. #food",
        "edge_followed_by": {"count": 1200},
        "edge_follow": {"count": 80},
        "is_verified": True,
        "is_business_account": True,
        "business_category_name": "Creators & Celebrities",
        "category_enum": None,
        "is_private": False,
    }
    write_json_xz(folder / f"{username}_{user_id}.json.xz", node, node_type="Profile")


def make_profile(root: Path, name: str = "anna.cooks") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    return folder


def post_of(result, post_id: str) -> pd.Series:
    rows = result.posts[result.posts["post_id"] == post_id]
    assert len(rows) == 1, f"expected one post {post_id}, got {len(rows)}"
    return rows.iloc[0]


def assert_every_file_counted(result, root: Path) -> None:
    for name, counts in result.report["profiles"].items():
        folder = root if name == ROOT_KEY else root / name
        expected = (
            sum(1 for entry in os.scandir(root) if not entry.is_dir() or entry.name[0] == ".")
            if name == ROOT_KEY
            else len(os.listdir(folder))
        )
        assert counts["files_seen"] == expected
        assert counts["files_seen"] == (
            counts["files_parsed"]
            + sum(counts["skipped"].values())
            + sum(counts["ignored_files"].values())
        )
    json.dumps(result.report)  # JSON-serializable


# ---------------------------------------------------------------------- the real folder
def test_real_download_folder(shared_instagram_dl: Path) -> None:
    result = parse_download_folder(shared_instagram_dl)

    per_profile = result.posts.groupby("profile").agg(
        posts=("post_id", "size"), with_caption=("has_caption", "sum")
    )
    assert per_profile.loc["kyliejenner"].tolist() == [87, 85]
    assert per_profile.loc["therock"].tolist() == [45, 45]
    assert result.report["profiles"]["kyliejenner"]["posts_with_caption"] == 85
    carousels = result.posts[result.posts["typename"] == "GraphSidecar"]
    assert len(carousels) > 0
    assert carousels["image_path"].str.endswith("_UTC_1.jpg").all()
    assert (carousels["n_media"] > 1).all()
    assert result.posts["post_id"].is_unique
    assert result.posts["image_path"].map(os.path.isabs).all()
    assert_every_file_counted(result, shared_instagram_dl)
    assert set(result.profiles["profile"]) == {"kyliejenner", "therock"}
    kylie = result.profiles.set_index("profile").loc["kyliejenner"]
    assert kylie["user_id"] == "12281817"
    assert kylie["followers"] > 0


# ---------------------------------------------------------------------- both JSON schemas
def test_graphql_post_and_profile(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("AbC123"))
    (folder / f"{STEM}.txt").write_text("Sunny #Beach day with @Anna.Cooks.\n", encoding="utf-8")
    write_jpeg(folder / f"{STEM}.jpg")
    write_profile_json(folder, "anna.cooks")

    result = parse_download_folder(tmp_path)

    post = post_of(result, "AbC123")
    assert post["profile"] == "anna.cooks"
    assert post["taken_at"] == pd.Timestamp(STEM_TS, unit="s", tz="UTC")
    assert post["caption"] == "Sunny #Beach day with @Anna.Cooks."
    assert post["has_caption"]
    assert post["hashtags"] == ["beach"]
    assert post["mentions"] == ["anna.cooks"]
    assert (post["likes"], post["comments"]) == (10, 2)
    assert (post["typename"], post["is_video"], post["n_media"]) == ("GraphImage", False, 1)
    assert post["image_path"] == str(folder / f"{STEM}.jpg")
    assert post["accessibility_caption"] == "Photo of a beach."
    assert list(result.posts.columns) == POST_COLUMNS
    assert result.posts.dtypes.astype(str).to_dict() == POST_DTYPES
    profile = result.profiles.iloc[0].to_dict()
    assert list(result.profiles.columns) == PROFILE_COLUMNS
    assert profile == {
        "profile": "anna.cooks",
        "user_id": "42",
        "full_name": "Anna Cooks",
        "biography": "I cook. #food",
        "followers": 1200,
        "followees": 80,
        "is_verified": True,
        "is_business": True,
        "category": "Creators & Celebrities",
        "is_private": False,
        "followers_known": False,  # no followers.json: not known, not zero
        "followees_known": False,
    }
    counts = result.report["profiles"]["anna.cooks"]
    assert (counts["files_seen"], counts["files_parsed"], counts["posts_parsed"]) == (4, 4, 1)
    assert result.report["totals"]["profiles"] == 1


def test_iphone_struct_post(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", iphone_node("IPh0ne"))
    write_jpeg(folder / f"{STEM}.jpg")

    post = post_of(parse_download_folder(tmp_path), "IPh0ne")

    assert post["caption"] == "Hi #日本"
    assert post["hashtags"] == ["日本"]
    assert (post["likes"], post["comments"]) == (7, 3)
    assert post["taken_at"] == pd.Timestamp(STEM_TS, unit="s", tz="UTC")
    assert post["accessibility_caption"] is None


def test_caption_from_txt_when_json_has_none(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", iphone_node("NoCap", caption=None))
    (folder / f"{STEM}.txt").write_text("from the txt #Tea\n", encoding="utf-8")

    post = post_of(parse_download_folder(tmp_path), "NoCap")

    assert post["caption"] == "from the txt #Tea"
    assert post["hashtags"] == ["tea"]


def test_json_without_caption_and_without_txt(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Silent", caption=None))
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Silent")
    assert (post["caption"], post["has_caption"], post["hashtags"]) == ("", False, [])
    assert result.report["profiles"]["anna.cooks"]["posts_with_caption"] == 0


def test_xdt_typename_and_unknown_counts(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    node = graphql_node("Xdt1", typename="XDTGraphVideo")
    node["is_video"] = True
    node["edge_media_preview_like"] = {"count": -1}
    del node["edge_media_to_comment"]
    write_json_xz(folder / f"{STEM}.json.xz", node)
    write_jpeg(folder / f"{STEM}.jpg")
    write_mp4(folder / f"{STEM}.mp4")

    post = post_of(parse_download_folder(tmp_path), "Xdt1")

    assert (post["typename"], post["is_video"], post["n_media"]) == ("GraphVideo", True, 1)
    assert post["image_path"].endswith(f"{STEM}.jpg")
    assert pd.isna(post["likes"]) and pd.isna(post["comments"])


# ---------------------------------------------------------------------- media layouts
def test_carousel_with_a_video_item(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    children = [
        {"__typename": "GraphImage", "is_video": False, "accessibility_caption": "first"},
        {"__typename": "GraphImage", "is_video": False},
        {"__typename": "GraphVideo", "is_video": True},
    ]
    node = graphql_node("Side1", typename="GraphSidecar", children=children)
    del node["accessibility_caption"]
    write_json_xz(folder / f"{STEM}.json.xz", node)
    for index in (1, 2, 3):
        write_jpeg(folder / f"{STEM}_{index}.jpg", seed=index)
    write_mp4(folder / f"{STEM}_3.mp4")

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Side1")
    assert post["image_path"] == str(folder / f"{STEM}_1.jpg")
    assert (post["typename"], post["n_media"], post["is_video"]) == ("GraphSidecar", 3, False)
    assert post["accessibility_caption"] == "first"
    assert result.report["profiles"]["anna.cooks"]["files_parsed"] == 5


def test_first_decodable_image_when_first_is_corrupt(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    node = graphql_node("Side2", typename="GraphSidecar", children=[{}, {}, {}])
    write_json_xz(folder / f"{STEM}.json.xz", node)
    write_truncated_jpeg(folder / f"{STEM}_1.jpg")
    (folder / f"{STEM}_2.jpg").write_bytes(b"not a jpeg at all")
    write_jpeg(folder / f"{STEM}_3.jpg")

    result = parse_download_folder(tmp_path)

    assert post_of(result, "Side2")["image_path"] == str(folder / f"{STEM}_3.jpg")
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"corrupt_image": 2}
    assert_every_file_counted(result, tmp_path)


def test_an_image_the_encoder_cannot_decode_gives_way_to_the_next(tmp_path: Path) -> None:
    # Pillow reads a TIFF (or an ICO, a PSD…) named .jpg; the encoder's decoder reads JPEG,
    # PNG, GIF, BMP and WebP only: the post lost its image although its second one was fine.
    folder = make_profile(tmp_path)
    node = graphql_node("Side3", typename="GraphSidecar", children=[{}, {}])
    write_json_xz(folder / f"{STEM}.json.xz", node)
    Image.new("RGB", (48, 32), (200, 30, 60)).save(folder / f"{STEM}_1.jpg", format="TIFF")
    write_jpeg(folder / f"{STEM}_2.jpg")

    result = parse_download_folder(tmp_path)

    assert post_of(result, "Side3")["image_path"] == str(folder / f"{STEM}_2.jpg")
    profile = result.report["profiles"]["anna.cooks"]
    assert profile["skipped"] == {"unsupported_image_format": 1}
    assert profile["skipped_files"] == {"unsupported_image_format": [f"{STEM}_1.jpg"]}
    assert_every_file_counted(result, tmp_path)


def test_an_animated_webp_gives_way_to_the_next_image(tmp_path: Path) -> None:
    # TensorFlow's WebP decoder refuses an animation (and, asked for its own channel count,
    # corrupts the heap): Pillow reads it, the image features could not.
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Side4", typename="GraphSidecar"))
    frames = [Image.new("RGB", (48, 32), colour) for colour in ("red", "blue")]
    frames[0].save(folder / f"{STEM}_1.webp", save_all=True, append_images=frames[1:])
    write_jpeg(folder / f"{STEM}_2.jpg")

    result = parse_download_folder(tmp_path)

    assert post_of(result, "Side4")["image_path"] == str(folder / f"{STEM}_2.jpg")
    profile = result.report["profiles"]["anna.cooks"]
    assert profile["skipped_files"] == {"unsupported_image_format": [f"{STEM}_1.webp"]}
    assert_every_file_counted(result, tmp_path)


def test_truncated_image_found_even_if_pillow_loads_truncated_images(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Trunc"))
    write_truncated_jpeg(folder / f"{STEM}.jpg")
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        result = parse_download_folder(tmp_path)
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False

    assert post_of(result, "Trunc")["image_path"] is None
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"corrupt_image": 1}


# ---------------------------------------------------------------------- bad metadata
def test_truncated_json_post_still_parses_from_txt_and_images(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Lost"))
    data = (folder / f"{STEM}.json.xz").read_bytes()
    (folder / f"{STEM}.json.xz").write_bytes(data[: len(data) // 2])
    (folder / f"{STEM}.txt").write_text("kept from txt #ok\n", encoding="utf-8")
    write_jpeg(folder / f"{STEM}_1.jpg")
    write_jpeg(folder / f"{STEM}_2.jpg", seed=2)

    result = parse_download_folder(tmp_path)

    post = post_of(result, f"anna.cooks/{STEM}")
    assert post["caption"] == "kept from txt #ok"
    assert post["taken_at"] == pd.Timestamp(STEM_TS, unit="s", tz="UTC")
    assert (post["typename"], post["n_media"]) == ("GraphSidecar", 2)
    assert post["image_path"] == str(folder / f"{STEM}_1.jpg")
    assert pd.isna(post["likes"])
    counts = result.report["profiles"]["anna.cooks"]
    assert counts["skipped"] == {"truncated_json": 1}
    assert counts["files_parsed"] == 3


def test_truncated_json_with_images_only_and_invalid_json(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    (folder / f"{STEM}.json.xz").write_bytes(lzma.compress(b'{"node": {"shortcode": "Cut'))
    write_jpeg(folder / f"{STEM}.jpg")
    other = "2021-03-05_10-00-00_UTC"
    (folder / f"{other}.json.xz").write_bytes(b"garbage, not xz")
    third = "2021-03-06_10-00-00_UTC"
    (folder / f"{third}.json").write_text('{"node": [1, 2,, 3]}', encoding="utf-8")

    result = parse_download_folder(tmp_path)

    assert result.posts["post_id"].tolist() == [f"anna.cooks/{STEM}"]
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {
        "invalid_json": 2,
        "truncated_json": 1,
    }
    assert_every_file_counted(result, tmp_path)


def test_readable_json_is_the_fallback_for_a_truncated_json_xz(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Kept"))
    data = (folder / f"{STEM}.json.xz").read_bytes()
    (folder / f"{STEM}.json.xz").write_bytes(data[: len(data) // 2])
    document = {"node": graphql_node("Kept"), "instaloader": {"node_type": "Post"}}
    (folder / f"{STEM}.json").write_text(json.dumps(document), encoding="utf-8")
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Kept")
    assert (post["likes"], post["comments"]) == (10, 2)
    counts = result.report["profiles"]["anna.cooks"]
    assert counts["skipped_files"] == {"truncated_json": [f"{STEM}.json.xz"]}
    assert counts["ignored_files"] == {}
    assert_every_file_counted(result, tmp_path)


def test_a_second_readable_json_is_ignored_as_duplicate(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("FromXz"))
    document = {"node": graphql_node("FromJson"), "instaloader": {"node_type": "Post"}}
    (folder / f"{STEM}.json").write_text(json.dumps(document), encoding="utf-8")

    result = parse_download_folder(tmp_path)

    assert result.posts["post_id"].tolist() == ["FromXz"]
    assert result.report["profiles"]["anna.cooks"]["ignored_files"] == {"duplicate_metadata": 1}


def test_story_item_metadata_skips_its_files_as_not_a_post(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Story"), node_type="StoryItem")
    (folder / f"{STEM}.txt").write_text("a story", encoding="utf-8")
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    assert result.posts.empty
    assert result.report["profiles"]["anna.cooks"]["skipped_files"] == {
        "not_a_post": sorted([f"{STEM}.json.xz", f"{STEM}.txt", f"{STEM}.jpg"])
    }


def test_skipped_files_are_named_per_profile_and_in_totals(tmp_path: Path, caplog) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Named"))
    write_truncated_jpeg(folder / f"{STEM}_1.jpg")
    write_jpeg(folder / f"{STEM}_2.jpg")
    other = make_profile(tmp_path, "ben")
    (other / f"{STEM}.json.xz").write_bytes(b"garbage, not xz")

    with caplog.at_level("WARNING"):
        result = parse_download_folder(tmp_path)

    assert result.report["profiles"]["anna.cooks"]["skipped_files"] == {
        "corrupt_image": [f"{STEM}_1.jpg"]
    }
    assert result.report["totals"]["skipped_files"] == {
        "corrupt_image": [f"anna.cooks/{STEM}_1.jpg"],
        "invalid_json": [f"ben/{STEM}.json.xz"],
    }
    assert f"{STEM}_1.jpg" in caplog.text and "corrupt_image" in caplog.text


def test_private_profile_without_posts_keeps_its_row_marked_private(tmp_path: Path) -> None:
    folder = make_profile(tmp_path, "hidden")
    node = {"username": "hidden", "id": "7", "is_private": True, "edge_followed_by": {"count": 3}}
    write_json_xz(folder / "hidden_7.json.xz", node, node_type="Profile")

    result = parse_download_folder(tmp_path)

    row = result.profiles.set_index("profile").loc["hidden"]
    assert bool(row["is_private"]) and row["followers"] == 3
    assert result.report["totals"]["profiles_without_posts"] == 1


def test_the_most_specific_profile_category_is_kept(tmp_path: Path) -> None:
    # a creator's profile JSON: the coarse business category and the specific one
    folder = make_profile(tmp_path, "band")
    node = {
        "username": "band",
        "id": "8",
        "business_category_name": "Creators & Celebrities",
        "category_enum": "MUSICIAN_BAND",
        "category_name": "Musician/Band",
    }
    write_json_xz(folder / "band_8.json.xz", node, node_type="Profile")
    profiles = parse_download_folder(tmp_path).profiles.set_index("profile")
    assert profiles.loc["band", "category"] == "Musician/Band"


def test_image_over_the_decompression_bomb_limit_is_too_large(tmp_path: Path, monkeypatch) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Huge"))
    write_jpeg(folder / f"{STEM}.jpg", size=(300, 200))
    # PIL refuses an image over twice MAX_IMAGE_PIXELS; a low limit stands in for a huge image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)

    result = parse_download_folder(tmp_path)

    assert post_of(result, "Huge")["image_path"] is None
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"image_too_large": 1}


def test_missing_keys(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", {"unrelated": 1})
    sparse = "2021-03-05_10-00-00_UTC"
    write_json_xz(folder / f"{sparse}.json.xz", {"shortcode": "Sparse"})

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Sparse")
    assert post["taken_at"] == pd.Timestamp("2021-03-05 10:00:00", tz="UTC")
    assert (post["caption"], post["typename"], post["n_media"]) == ("", "GraphImage", 0)
    assert post["image_path"] is None and pd.isna(post["likes"])
    assert len(result.posts) == 1
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"missing_keys": 1}


def test_txt_without_json_older_download(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    (folder / f"{STEM}.txt").write_text("old post #retro\n", encoding="utf-8")
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    post = post_of(result, f"anna.cooks/{STEM}")
    assert (post["caption"], post["typename"], post["n_media"]) == (
        "old post #retro",
        "GraphImage",
        1,
    )
    assert post["image_path"] == str(folder / f"{STEM}.jpg")
    assert result.report["profiles"]["anna.cooks"]["files_parsed"] == 2


def test_a_lone_surrogate_in_json_is_replaced_and_counted(tmp_path: Path) -> None:
    # JSON may escape half of an emoji's UTF-16 pair ("\\ud83d" alone, as text cut between
    # the two): Python reads it as a lone surrogate, which no UTF-8 file can hold, so writing
    # `posts` to Parquet stopped the run.
    folder = make_profile(tmp_path)
    node = graphql_node("Half", caption="cut emoji \ud83d here \ud83d\ude02 #fun")
    write_json_xz(folder / f"{STEM}.json.xz", node)
    profile = {"username": "anna.cooks", "full_name": "Anna \udc00"}
    write_json_xz(folder / "anna.cooks_42.json.xz", profile, node_type="Profile")
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Half")
    assert post["caption"] == "cut emoji \ufffd here \U0001f602 #fun"
    assert post["hashtags"] == ["fun"]
    assert result.profiles.loc[0, "full_name"] == "Anna \ufffd"
    assert result.report["profiles"]["anna.cooks"]["warnings"] == {"lone_surrogate_in_json": 2}
    result.posts.to_parquet(tmp_path / "posts.parquet")
    result.profiles.to_parquet(tmp_path / "profiles.parquet")


def test_an_emoji_escaped_as_a_whole_pair_is_no_warning(tmp_path: Path) -> None:
    """JSON escapes an emoji as its two UTF-16 halves (``"\\ud83d\\ude02"``, as instaloader
    writes it): read whole, it is no problem, and the report holds no warning of count 0."""
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Whole", caption="so funny \U0001f602"))
    write_jpeg(folder / f"{STEM}.jpg")

    result = parse_download_folder(tmp_path)

    assert post_of(result, "Whole")["caption"] == "so funny \U0001f602"
    assert result.report["profiles"]["anna.cooks"]["warnings"] == {}
    assert result.report["totals"]["warnings"] == {}


def test_non_utf8_caption_is_decoded_and_counted(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Latin1", caption=None))
    (folder / f"{STEM}.txt").write_bytes("caf\xe9 #soleil\n".encode("latin-1"))

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Latin1")
    assert post["caption"] == "caf\ufffd #soleil"
    assert post["hashtags"] == ["soleil"]
    counts = result.report["profiles"]["anna.cooks"]
    assert counts["warnings"] == {"non_utf8_caption": 1}
    assert counts["files_parsed"] == 2 and counts["skipped"] == {}


def test_a_byte_order_mark_is_no_part_of_the_caption(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Bom", caption=None))
    (folder / f"{STEM}.txt").write_bytes("\ufeff#Sunday run\r\n".encode())

    result = parse_download_folder(tmp_path)

    post = post_of(result, "Bom")
    assert post["caption"] == "#Sunday run" and post["hashtags"] == ["sunday"]


def test_orphan_media_and_ignored_files(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    write_jpeg(folder / f"{STEM}_1.jpg")
    write_mp4(folder / f"{STEM}_2.mp4")
    post = "2021-03-05_10-00-00_UTC"
    write_json_xz(folder / f"{post}.json.xz", graphql_node("Kept"))
    (folder / f"{post}_old_00.txt").write_text("older caption", encoding="utf-8")
    (folder / f"{post}_comments.json").write_text("[]", encoding="utf-8")
    write_jpeg(folder / f"{post}_profile_pic.jpg")
    (folder / "id").write_text("42", encoding="utf-8")
    write_json_xz(folder / "iterator_AbCd.json.xz", {"total_index": 3}, node_type="Iterator")
    # instaloader --no-compress-json writes it uncompressed
    (folder / "iterator_EfGh.json").write_text('{"total_index": 4}', encoding="utf-8")
    (folder / "notes.md").write_text("mine", encoding="utf-8")
    (folder / "sub").mkdir()

    result = parse_download_folder(tmp_path)

    counts = result.report["profiles"]["anna.cooks"]
    assert counts["skipped"] == {"orphan_media": 2}
    assert counts["ignored_files"] == {
        "comments": 1,
        "id_file": 1,
        "iterator_state": 2,
        "old_caption": 1,
        "profile_pic": 1,
        "subfolder": 1,
        "unknown_file": 1,
    }
    assert counts["files_parsed"] == 1
    assert result.posts["post_id"].tolist() == ["Kept"]
    assert_every_file_counted(result, tmp_path)


def test_profile_without_posts_or_profile_json_and_top_level_files(tmp_path: Path) -> None:
    make_profile(tmp_path, "empty.one")
    folder = make_profile(tmp_path, "anna.cooks")
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("A1"))
    (tmp_path / "README.txt").write_text("downloaded last week", encoding="utf-8")
    (tmp_path / ".cache").mkdir()

    result = parse_download_folder(tmp_path)

    empty = result.profiles.set_index("profile").loc["empty.one"]
    assert empty[["user_id", "full_name", "biography", "category", "is_private"]].isna().all()
    assert pd.isna(empty["followers"]) and not empty["is_verified"]
    assert result.report["profiles"][ROOT_KEY]["ignored_files"] == {
        "hidden_folder": 1,
        "top_level_file": 1,
    }
    totals = result.report["totals"]
    assert (totals["profiles"], totals["profiles_without_posts"], totals["files_seen"]) == (2, 1, 3)
    assert_every_file_counted(result, tmp_path)


def test_hashtag_feed_and_location_targets_are_no_people(tmp_path: Path, caplog) -> None:
    folder = make_profile(tmp_path, "anna.cooks")
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("A1"))
    for target in ("#streetart", ":feed", ":stories", "%1234567"):
        write_json_xz(make_profile(tmp_path, target) / f"{STEM}.json.xz", graphql_node("X1"))

    with caplog.at_level("WARNING"):
        result = parse_download_folder(tmp_path)

    assert result.profiles["profile"].tolist() == ["anna.cooks"]
    assert result.posts["post_id"].tolist() == ["A1"]
    assert result.report["profiles"][ROOT_KEY]["ignored_files"] == {"not_a_profile": 4}
    assert "#streetart is an instaloader target that is no profile" in caplog.text


def test_a_download_of_hashtags_only_has_no_profile(tmp_path: Path) -> None:
    write_json_xz(make_profile(tmp_path, "#streetart") / f"{STEM}.json.xz", graphql_node("X1"))
    with pytest.raises(ValueError, match="hashtag, feed, stories, saved and location folders"):
        parse_download_folder(tmp_path)


def test_only_empty_profiles_gives_typed_empty_posts(tmp_path: Path) -> None:
    make_profile(tmp_path, "nobody")

    result = parse_download_folder(tmp_path)

    assert result.posts.empty
    assert list(result.posts.columns) == POST_COLUMNS
    assert result.posts.dtypes.astype(str).to_dict() == POST_DTYPES


# ---------------------------------------------------------------------- selection
def test_max_posts_per_profile_keeps_newest(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    for day in range(1, 6):
        stem = f"2021-03-0{day}_12-00-00_UTC"
        node = graphql_node(f"P{day}", timestamp=STEM_TS + day * 86400)
        write_json_xz(folder / f"{stem}.json.xz", node)
        (folder / f"{stem}.txt").write_text(f"day {day}\n", encoding="utf-8")
        write_jpeg(folder / f"{stem}.jpg", seed=day)

    result = parse_download_folder(tmp_path, max_posts_per_profile=2)

    assert result.posts["post_id"].tolist() == ["P4", "P5"]
    counts = result.report["profiles"]["anna.cooks"]
    assert counts["skipped"] == {"over_max_posts": 9}
    assert counts["files_parsed"] == 6 and counts["posts_parsed"] == 2
    assert parse_download_folder(tmp_path, max_posts_per_profile=0).posts.empty
    with pytest.raises(ValueError, match="max_posts_per_profile"):
        parse_download_folder(tmp_path, max_posts_per_profile=-1)


def test_duplicate_shortcode_across_profiles(tmp_path: Path) -> None:
    for name in ("anna.cooks", "bob"):
        folder = make_profile(tmp_path, name)
        write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Same"))

    result = parse_download_folder(tmp_path)

    assert result.posts[["post_id", "profile"]].values.tolist() == [["Same", "anna.cooks"]]
    assert result.report["profiles"]["bob"]["skipped"] == {"duplicate_post": 1}


# ---------------------------------------------------------------------- follows
def test_follows(tmp_path: Path) -> None:
    anna = make_profile(tmp_path, "anna")
    (anna / "followers.json").write_text(json.dumps(["bob", "carl", "bob", 5, ""]), "utf-8")
    (anna / "followees.json").write_text(json.dumps(["bob"]), "utf-8")
    bob = make_profile(tmp_path, "bob")
    (bob / "followees.json").write_text(json.dumps(["anna"]), "utf-8")
    (bob / "followers.json").write_text('["anna", ', "utf-8")

    result = parse_download_folder(tmp_path)

    assert result.follows.values.tolist() == [
        ["anna", "bob"],
        ["bob", "anna"],
        ["carl", "anna"],
    ]
    assert result.report["profiles"]["anna"]["warnings"] == {"invalid_follow_entry": 2}
    assert result.report["profiles"]["bob"]["skipped"] == {"truncated_json": 1}
    assert_every_file_counted(result, tmp_path)


def test_follow_lists_name_people_as_instagram_does_and_never_the_profile_itself(
    tmp_path: Path,
) -> None:
    """A list written by hand or by another tool names people with an ``@``, in capitals or
    with spaces: they are the accounts of the download folders all the same. A profile that
    lists itself does not follow itself. Both are counted."""
    anna = make_profile(tmp_path, "anna.cooks")
    (anna / "followees.json").write_text(
        json.dumps(["@Bob_Hikes", " CARL ", "anna.cooks", "@ANNA.COOKS", "@", "dan"]), "utf-8"
    )
    (anna / "followers.json").write_text(json.dumps(["bob_hikes", "Anna.Cooks"]), "utf-8")
    make_profile(tmp_path, "bob_hikes")

    result = parse_download_folder(tmp_path)

    assert result.follows.values.tolist() == [
        ["anna.cooks", "bob_hikes"],
        ["anna.cooks", "carl"],
        ["anna.cooks", "dan"],
        ["bob_hikes", "anna.cooks"],
    ]
    assert result.report["profiles"]["anna.cooks"]["warnings"] == {
        "follow_entry_normalized": 2,
        "self_follow": 3,
        "invalid_follow_entry": 1,
    }
    assert_every_file_counted(result, tmp_path)


def test_a_follow_list_that_names_nobody_is_not_read_as_an_empty_list(tmp_path: Path) -> None:
    """A followees.json written by another tool (Instagram's own export: objects, not
    names) names nobody: it is skipped and counted, and the list is not known, instead of
    being read as a known list of no one (anna "follows nobody")."""
    anna = make_profile(tmp_path, "anna.cooks")
    entry = {"title": "", "string_list_data": [{"value": "bob_hikes", "timestamp": 1700000000}]}
    (anna / "followees.json").write_text(json.dumps([entry, entry]), "utf-8")
    (anna / "followers.json").write_text(json.dumps(["anna.cooks"]), "utf-8")

    result = parse_download_folder(tmp_path)

    report = result.report["profiles"]["anna.cooks"]
    assert report["skipped_files"] == {"invalid_follow_list": ["followees.json"]}
    assert report["warnings"] == {"self_follow": 1}
    row = result.profiles.set_index("profile").loc["anna.cooks"]
    assert not row["followees_known"]
    assert row["followers_known"]  # a list of herself only: read, and nobody follows her
    assert result.follows.empty
    assert_every_file_counted(result, tmp_path)


# ---------------------------------------------------------------------- folder errors
def test_missing_folder_names_path_and_parameter(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as error:
        parse_download_folder(missing)
    assert str(missing.absolute()) in str(error.value)
    assert "ingestion.folder" in str(error.value)

    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="not a directory"):
        parse_download_folder(a_file)


def test_folder_without_profiles(tmp_path: Path) -> None:
    (tmp_path / "stray.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="no profile sub-folders"):
        parse_download_folder(tmp_path)


def test_tables_round_trip_through_parquet(tmp_path: Path) -> None:
    folder = make_profile(tmp_path / "dl")
    write_json_xz(folder / f"{STEM}.json.xz", graphql_node("Pq1"))
    result = parse_download_folder(tmp_path / "dl")

    result.posts.to_parquet(tmp_path / "posts.parquet")
    result.profiles.to_parquet(tmp_path / "profiles.parquet")
    posts = pd.read_parquet(tmp_path / "posts.parquet")

    assert posts["post_id"].tolist() == ["Pq1"]
    assert list(posts["hashtags"].iloc[0]) == ["beach"]
    assert str(posts["taken_at"].dtype) == "datetime64[ns, UTC]"


# ---------------------------------------------------------------------- hashtags, mentions


# ---------------------------------------------------------------------- found by fuzzing
# Regression tests for the crashes and accounting errors tests/ingestion/test_folder_fuzz.py
# found.
def test_post_without_a_valid_time_is_skipped_as_invalid_date(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    (folder / "2021-02-30_10-00-00_UTC.txt").write_text("no such day", encoding="utf-8")
    write_jpeg(folder / "2021-02-30_10-00-00_UTC.jpg")
    write_jpeg(folder / "0001-01-01_00-00-00_UTC.jpg")  # a real date, but not for pandas
    write_json_xz(folder / "0001-01-01_00-00-00_UTC.json.xz", graphql_node("Ancient", 10**15))
    # a valid time in the JSON is enough
    write_json_xz(folder / "2021-13-01_00-00-00_UTC.json.xz", graphql_node("Kept"))

    result = parse_download_folder(tmp_path)

    assert result.posts["post_id"].tolist() == ["Kept"]
    assert post_of(result, "Kept")["taken_at"] == pd.Timestamp(STEM_TS, unit="s", tz="UTC")
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"invalid_date": 4}
    assert_every_file_counted(result, tmp_path)


def test_json_python_refuses_to_read_is_invalid(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    huge = b'{"node": {"shortcode": "Huge", "id": 1' + b"0" * 5000 + b"}}"
    (folder / f"{STEM}.json.xz").write_bytes(lzma.compress(huge))
    (folder / f"{STEM}.txt").write_text("from the txt\n", encoding="utf-8")
    deep = "2021-03-05_10-00-00_UTC"
    (folder / f"{deep}.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (folder / f"{deep}.txt").write_text("deep\n", encoding="utf-8")

    result = parse_download_folder(tmp_path)

    assert post_of(result, f"anna.cooks/{STEM}")["caption"] == "from the txt"
    assert post_of(result, f"anna.cooks/{deep}")["caption"] == "deep"
    assert result.report["profiles"]["anna.cooks"]["skipped"] == {"invalid_json": 2}


def test_counts_and_times_out_of_range_are_unknown(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    node = graphql_node("Big", timestamp=2**63)  # past pandas' year 2262: the name's date
    node["edge_media_preview_like"] = {"count": 2**63}  # over Int64
    node["edge_media_to_comment"] = {"count": float("inf")}  # json writes Infinity
    write_json_xz(folder / f"{STEM}.json.xz", node)

    post = post_of(parse_download_folder(tmp_path), "Big")

    assert post["taken_at"] == pd.Timestamp(STEM_TS, unit="s", tz="UTC")
    assert pd.isna(post["likes"]) and pd.isna(post["comments"])


def test_links_that_point_to_themselves_are_counted(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    os.symlink(f"{STEM}.json.xz", folder / f"{STEM}.json.xz")
    write_jpeg(folder / f"{STEM}.jpg")
    os.symlink("loop", tmp_path / "loop")

    result = parse_download_folder(tmp_path)

    assert result.posts["post_id"].tolist() == [f"anna.cooks/{STEM}"]
    counts = result.report["profiles"]["anna.cooks"]
    assert (counts["files_seen"], counts["files_parsed"]) == (2, 1)
    assert counts["skipped"] == {"unreadable_file": 1}
    assert result.report["profiles"][ROOT_KEY]["ignored_files"] == {"top_level_file": 1}


def test_unreadable_caption_alone_makes_no_post(tmp_path: Path) -> None:
    folder = make_profile(tmp_path)
    os.symlink("missing.txt", folder / f"{STEM}.txt")

    result = parse_download_folder(tmp_path)

    assert result.posts.empty
    counts = result.report["profiles"]["anna.cooks"]
    assert (counts["posts_parsed"], counts["skipped"]) == (0, {"unreadable_file": 1})


def test_named_pipes_are_ignored_never_read(tmp_path: Path) -> None:
    """A named pipe (or a link to one) named like a post's files would block a read forever:
    it is counted as ignored `special_file` and the parse ends."""
    folder = make_profile(tmp_path)
    os.mkfifo(folder / f"{STEM}.json.xz")
    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", folder / f"{STEM}.txt")
    write_jpeg(folder / f"{STEM}.jpg")
    results = []
    worker = threading.Thread(target=lambda: results.append(parse_download_folder(tmp_path)))
    worker.daemon = True  # a blocked parse must not keep the test process alive

    worker.start()
    worker.join(timeout=30)

    assert not worker.is_alive(), "the parser blocked on a named pipe"
    counts = results[0].report["profiles"]["anna.cooks"]
    assert counts["ignored_files"] == {"special_file": 2}
    assert counts["skipped"] == {"orphan_media": 1}  # the photo, with neither JSON nor caption
    assert counts["files_seen"] == 3
