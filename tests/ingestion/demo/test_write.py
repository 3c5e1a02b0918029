"""Tests of the demo written in instaloader's layout: same bytes for the same settings, the
file names and both JSON schemas, carousels, videos, captions, instaloader and the project's
parser reading it back, and ``ensure_demo_download``'s generate-once, atomic writing."""

import logging
import re
from collections import Counter

import pytest
from PIL import Image

import insta_kedro.ingestion
from insta_kedro.ingestion import demo
from insta_kedro.ingestion.demo import write
from insta_kedro.ingestion.demo.draw import demo_ground_truth
from insta_kedro.ingestion.demo.plan import OWNER_USERNAME, THEMES
from insta_kedro.ingestion.demo.write import ensure_demo_download, write_demo_download
from tests.ingestion.demo.conftest import (
    caption_of,
    file_hashes,
    post_nodes,
    read_xz,
    schema_of,
)

SMALL = {"seed": 3, "n_profiles": 6, "posts_per_profile": 3, "image_size": 32}


def test_the_package_api_is_the_modules_functions():
    assert insta_kedro.ingestion.ensure_demo_download is write.ensure_demo_download
    assert insta_kedro.ingestion.write_demo_download is write.write_demo_download
    assert demo.demo_ground_truth is demo_ground_truth
    assert demo.THEMES is THEMES


def test_same_seed_gives_byte_identical_files(download, tmp_path):
    folder, truth = download
    again = write_demo_download(tmp_path / "again")
    assert again == truth
    assert file_hashes(tmp_path / "again") == file_hashes(folder)


def test_every_file_follows_instaloaders_layout(download):
    folder, truth = download
    patterns = [
        r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC(_\d+)?\.(jpg|mp4)",
        r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC\.(json\.xz|txt)",
        r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC_profile_pic\.jpg",
        r"iterator_[A-Za-z0-9_-]{8}\.json\.xz",
        r"id",
        r"followers\.json",
        r"followees\.json",
    ]
    for profile in truth["profiles"]:
        files = [path.name for path in (folder / profile).iterdir()]
        assert all(path.is_file() for path in (folder / profile).iterdir())
        unexplained = [
            name
            for name in files
            if not any(re.fullmatch(p, name) for p in patterns)
            and not re.fullmatch(rf"{re.escape(profile)}_\d+\.json\.xz", name)
        ]
        assert unexplained == []
        user_id = (folder / profile / "id").read_text().strip()
        profile_json = read_xz(folder / profile / f"{profile}_{user_id}.json.xz")
        assert profile_json["instaloader"]["node_type"] == "Profile"
        assert profile_json["node"]["username"] == profile
        assert profile_json["node"]["id"] == user_id
        assert sum(name.endswith("_profile_pic.jpg") for name in files) == 1
        iterators = [name for name in files if name.startswith("iterator_")]
        assert len(iterators) == 1
        iterator = read_xz(folder / profile / iterators[0])
        assert iterator["instaloader"]["node_type"] == "FrozenNodeIterator"


def test_both_json_schemas_are_present(download):
    folder, truth = download
    schema_of_profile: dict[str, set[str]] = {}
    for path, node in post_nodes(folder).values():
        schema_of_profile.setdefault(path.parent.name, set()).add(schema_of(node))
        if schema_of(node) == "iphone":
            assert {"date", "caption", "comments", "edge_media_preview_like"} <= set(node)
            assert node["iphone_struct"]["code"] == node["shortcode"]
            assert "taken_at_timestamp" not in node
        else:
            assert {"taken_at_timestamp", "edge_media_to_caption", "edge_media_to_comment"} <= set(
                node
            )
            assert node["owner"]["username"] == path.parent.name
    assert all(len(schemas) == 1 for schemas in schema_of_profile.values())
    schema = {profile: min(schemas) for profile, schemas in schema_of_profile.items()}
    assert Counter(schema.values()) == {"graphql": 6, "iphone": 6}
    themes_per_schema = {
        name: {truth["profiles"][p] for p, s in schema.items() if s == name}
        for name in ("graphql", "iphone")
    }
    assert themes_per_schema["graphql"] == set(THEMES) == themes_per_schema["iphone"]


def test_carousels_have_numbered_images_and_one_holds_a_video(download):
    folder, _ = download
    posts = post_nodes(folder)
    carousels = [(p, n) for p, n in posts.values() if n["__typename"] == "GraphSidecar"]
    assert 0.1 <= len(carousels) / len(posts) <= 0.3
    video_items = 0
    for path, node in carousels:
        stem = path.name.removesuffix(".json.xz")
        children = node["edge_sidecar_to_children"]["edges"]
        assert 2 <= len(children) <= 5
        assert not (path.parent / f"{stem}.jpg").exists()
        for number, child in enumerate(children, start=1):
            assert (path.parent / f"{stem}_{number}.jpg").is_file()
            mp4 = path.parent / f"{stem}_{number}.mp4"
            assert mp4.is_file() == child["node"]["is_video"]
            video_items += child["node"]["is_video"]
        assert not (path.parent / f"{stem}_{len(children) + 1}.jpg").exists()
    assert video_items >= 1
    assert {schema_of(node) for _, node in carousels} == {"graphql", "iphone"}


def test_video_posts_have_a_thumbnail_and_a_valid_mp4_container(download):
    folder, _ = download
    videos = [(p, n) for p, n in post_nodes(folder).values() if n["__typename"] == "GraphVideo"]
    assert {schema_of(node) for _, node in videos} == {"graphql", "iphone"}
    for path, node in videos:
        stem = path.name.removesuffix(".json.xz")
        assert node["is_video"] is True
        with Image.open(path.parent / f"{stem}.jpg") as thumbnail:
            assert thumbnail.format == "JPEG"
        mp4 = (path.parent / f"{stem}.mp4").read_bytes()
        ftyp_size = int.from_bytes(mp4[:4], "big")
        assert mp4[4:8] == b"ftyp" and mp4[ftyp_size + 4 : ftyp_size + 8] == b"moov"
        assert ftyp_size + int.from_bytes(mp4[ftyp_size : ftyp_size + 4], "big") == len(mp4)


def test_posts_without_caption_have_no_txt_and_empty_caption_fields(download):
    folder, _ = download
    posts = post_nodes(folder)
    without = [(p, n) for p, n in posts.values() if caption_of(n) is None]
    assert 0.03 <= len(without) / len(posts) <= 0.15
    assert {schema_of(node) for _, node in without} == {"graphql", "iphone"}
    for path, node in posts.values():
        txt = path.with_name(path.name.removesuffix(".json.xz") + ".txt")
        caption = caption_of(node)
        if caption is None:
            assert not txt.exists()
            if schema_of(node) == "graphql":
                assert node["edge_media_to_caption"]["edges"] == []
        else:
            assert txt.read_text(encoding="utf-8") == caption + "\n"


def test_instaloader_loads_both_schemas(download, monkeypatch):
    """Files parse as instaloader's own: load_structure_from_file with an offline context."""
    import instaloader
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("the test tried to reach Instagram")

    monkeypatch.setattr(requests.Session, "request", no_network)
    context = instaloader.Instaloader(quiet=True).context
    folder, truth = download
    checked = set()
    for path, node in post_nodes(folder).values():
        schema = schema_of(node)
        if caption_of(node) is None or schema in checked:
            continue
        post = instaloader.load_structure_from_file(context, str(path))
        assert isinstance(post, instaloader.Post)
        assert post.shortcode == node["shortcode"] in truth["posts"]
        assert post.caption == caption_of(node)
        assert post.date_utc.strftime("%Y-%m-%d_%H-%M-%S_UTC.json.xz") == path.name
        assert post.likes == node["edge_media_preview_like"]["count"]
        assert post.mediacount == len(node.get("edge_sidecar_to_children", {}).get("edges", [0]))
        checked.add(schema)
    assert checked == {"graphql", "iphone"}
    for profile in truth["profiles"]:
        user_id = (folder / profile / "id").read_text().strip()
        loaded = instaloader.load_structure_from_file(
            context, str(folder / profile / f"{profile}_{user_id}.json.xz")
        )
        assert isinstance(loaded, instaloader.Profile)
        assert (loaded.username, loaded.userid) == (profile, int(user_id))
        (iterator_path,) = (folder / profile).glob("iterator_*.json.xz")
        frozen = instaloader.load_structure_from_file(context, str(iterator_path))
        assert isinstance(frozen, instaloader.FrozenNodeIterator)


def test_settings_change_the_size(tmp_path):
    truth = write_demo_download(
        tmp_path / "small", n_profiles=3, posts_per_profile=4, image_size=64
    )
    assert len(truth["profiles"]) == 3 and len(truth["posts"]) == 12
    for path in (tmp_path / "small").glob("*/*_UTC*.jpg"):
        with Image.open(path) as image:
            assert image.size == (64, 64)
    assert demo_ground_truth(n_profiles=3, posts_per_profile=4, image_size=64) == truth
    many = demo_ground_truth(n_profiles=30, posts_per_profile=1)
    assert len(many["profiles"]) == 30


def test_write_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "something.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_demo_download(tmp_path / "taken", n_profiles=1, posts_per_profile=1)


def test_ensure_generates_once_then_skips(tmp_path, caplog):
    folder = tmp_path / "raw" / "demo"
    truth = ensure_demo_download(folder, **SMALL)
    assert truth == demo_ground_truth(**SMALL)
    hashes = file_hashes(folder)
    assert hashes
    assert [p.name for p in folder.parent.iterdir()] == ["demo"]  # no partial folder left
    image = next(folder.glob("*/*_UTC*.jpg"))
    image.unlink()
    assert ensure_demo_download(folder, **SMALL) == truth
    assert not image.exists()  # skipped: nothing regenerated
    with caplog.at_level(logging.WARNING, logger="insta_kedro.ingestion.demo.write"):
        other = ensure_demo_download(folder, **{**SMALL, "seed": 4})
    assert other["seed"] == 4
    assert "not generated with these demo settings" in caplog.text


@pytest.mark.parametrize(
    "smaller", [{"n_profiles": 4}, {"posts_per_profile": 2}], ids=["profiles", "posts"]
)
def test_ensure_warns_when_the_folder_holds_more_than_smaller_settings_make(
    tmp_path, caplog, smaller
):
    """Asking for a smaller demo than the one on disk must not silently parse the bigger one."""
    folder = tmp_path / "demo"
    ensure_demo_download(folder, **SMALL)
    settings = {**SMALL, **smaller}
    with caplog.at_level(logging.INFO, logger="insta_kedro.ingestion.demo.write"):
        truth = ensure_demo_download(folder, **settings)
    assert truth == demo_ground_truth(**settings)
    expected = len(truth["posts"])
    on_disk = len(list(folder.glob("*/*_UTC.json.xz")))
    assert on_disk > expected
    assert "not generated with these demo settings" in caplog.text
    assert f"0 of {expected} expected posts missing, {on_disk - expected} posts" in caplog.text


def test_ensure_fills_an_empty_folder(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    truth = ensure_demo_download(folder, **SMALL)
    assert sorted(p.name for p in folder.iterdir()) == sorted(truth["profiles"])


def test_ensure_fills_a_folder_of_empty_profile_folders(tmp_path):
    """Deleting every file (``make clean-data``) leaves the profile folders: generate again."""
    folder = tmp_path / "demo"
    ensure_demo_download(folder, **SMALL)
    for path in folder.rglob("*"):
        if path.is_file():
            path.unlink()
    assert ensure_demo_download(folder, **SMALL) == demo_ground_truth(**SMALL)
    assert len(list(folder.glob("*/*_UTC.json.xz"))) == 18


def test_interrupted_generation_leaves_no_folder(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    calls = []
    write_post = write._write_post

    def failing_write_post(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        write_post(*args, **kwargs)

    monkeypatch.setattr(write, "_write_post", failing_write_post)
    with pytest.raises(KeyboardInterrupt):
        ensure_demo_download(folder, **SMALL)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(write, "_write_post", write_post)
    assert ensure_demo_download(folder, **SMALL) == demo_ground_truth(**SMALL)
    assert len(list(folder.glob("*/*_UTC.json.xz"))) == 18


def test_the_project_parser_reads_the_demo_download_without_skipping(download):
    from insta_kedro.ingestion.folder import parse_download_folder

    folder, truth = download
    parsed = parse_download_folder(folder)
    totals = parsed.report["totals"]
    assert totals["skipped"] == {}
    assert totals["posts_parsed"] == len(truth["posts"])
    assert totals["files_seen"] == sum(1 for path in folder.rglob("*") if path.is_file())
    assert set(parsed.posts["post_id"]) == set(truth["posts"])
    assert set(parsed.profiles["profile"]) == set(truth["profiles"])
    assert (parsed.follows["follower"] == OWNER_USERNAME).sum() == len(truth["profiles"])
    assert parsed.posts["image_path"].notna().all()
