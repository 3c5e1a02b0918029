"""Tests of the deterministic demo download generator."""

import hashlib
import json
import logging
import lzma
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from insta_kedro.ingestion import demo as demo_data
from insta_kedro.ingestion.demo import (
    OWNER_USERNAME,
    THEMES,
    demo_ground_truth,
    ensure_demo_download,
    write_demo_download,
)

POST_JSON = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC\.json\.xz$")
SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{11}$")


def _read_xz(path: Path) -> dict[str, Any]:
    return json.loads(lzma.decompress(path.read_bytes()))


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _posts(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every post node of the download by shortcode, with its JSON file."""
    posts = {}
    for path in sorted(folder.glob("*/*_UTC.json.xz")):
        node = _read_xz(path)["node"]
        posts[node["shortcode"]] = (path, node)
    return posts


def _schema(node: dict[str, Any]) -> str:
    return "iphone" if "iphone_struct" in node else "graphql"


def _caption(node: dict[str, Any]) -> str | None:
    if _schema(node) == "iphone":
        return node["caption"]
    edges = node["edge_media_to_caption"]["edges"]
    return edges[0]["node"]["text"] if edges else None


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo download of the default size, written once for the module."""
    folder = tmp_path_factory.mktemp("demo") / "download"
    return folder, write_demo_download(folder)


def test_same_seed_gives_byte_identical_files(download, tmp_path):
    folder, truth = download
    again = write_demo_download(tmp_path / "again")
    assert again == truth
    assert _hashes(tmp_path / "again") == _hashes(folder)


def test_another_seed_gives_another_download(download, tmp_path):
    _, truth = download
    other = write_demo_download(tmp_path / "other", seed=7, n_profiles=6, posts_per_profile=4)
    assert other["seed"] == 7
    assert set(other["posts"]).isdisjoint(truth["posts"])


def test_counts_of_profiles_posts_and_themes(download):
    folder, truth = download
    assert truth["themes"] == list(THEMES) and len(THEMES) >= 6
    assert len(truth["profiles"]) == 12
    assert Counter(truth["profiles"].values()) == {theme: 2 for theme in THEMES}
    assert sorted(path.name for path in folder.iterdir()) == sorted(truth["profiles"])
    for profile in truth["profiles"]:
        assert sum(bool(POST_JSON.match(p.name)) for p in (folder / profile).iterdir()) == 32
    posts = _posts(folder)
    assert len(posts) == len(truth["posts"]) == 384
    assert set(posts) == set(truth["posts"])
    assert set(truth["posts"].values()) == set(THEMES)
    for profile, theme in truth["profiles"].items():
        own = [sc for sc, (path, _) in posts.items() if path.parent.name == profile]
        on_theme = sum(truth["posts"][sc] == theme for sc in own) / len(own)
        assert 0.8 <= on_theme <= 0.9


def test_ground_truth_without_writing_matches_and_is_not_in_the_folder(
    download, tmp_path, monkeypatch
):
    folder, truth = download
    monkeypatch.chdir(tmp_path)
    assert demo_ground_truth() == truth
    assert list(tmp_path.iterdir()) == []
    names = {path.name for path in folder.rglob("*")}
    assert not any("theme" in name for name in names)
    for path in folder.glob("*/*.json"):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), list)


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
        profile_json = _read_xz(folder / profile / f"{profile}_{user_id}.json.xz")
        assert profile_json["instaloader"]["node_type"] == "Profile"
        assert profile_json["node"]["username"] == profile
        assert profile_json["node"]["id"] == user_id
        assert sum(name.endswith("_profile_pic.jpg") for name in files) == 1
        iterators = [name for name in files if name.startswith("iterator_")]
        assert len(iterators) == 1
        iterator = _read_xz(folder / profile / iterators[0])
        assert iterator["instaloader"]["node_type"] == "FrozenNodeIterator"


def test_both_json_schemas_are_present(download):
    folder, truth = download
    schema_of_profile: dict[str, set[str]] = {}
    for path, node in _posts(folder).values():
        schema_of_profile.setdefault(path.parent.name, set()).add(_schema(node))
        if _schema(node) == "iphone":
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


def test_some_posts_carry_an_accessibility_caption_in_both_schemas(download):
    folder, _ = download
    with_alt = Counter(
        _schema(node) for _, node in _posts(folder).values() if node.get("accessibility_caption")
    )
    assert with_alt["graphql"] > 0 and with_alt["iphone"] > 0


def test_carousels_have_numbered_images_and_one_holds_a_video(download):
    folder, _ = download
    posts = _posts(folder)
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
    assert {_schema(node) for _, node in carousels} == {"graphql", "iphone"}


def test_video_posts_have_a_thumbnail_and_a_valid_mp4_container(download):
    folder, _ = download
    videos = [(p, n) for p, n in _posts(folder).values() if n["__typename"] == "GraphVideo"]
    assert {_schema(node) for _, node in videos} == {"graphql", "iphone"}
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
    posts = _posts(folder)
    without = [(p, n) for p, n in posts.values() if _caption(n) is None]
    assert 0.03 <= len(without) / len(posts) <= 0.15
    assert {_schema(node) for _, node in without} == {"graphql", "iphone"}
    for path, node in posts.values():
        txt = path.with_name(path.name.removesuffix(".json.xz") + ".txt")
        caption = _caption(node)
        if caption is None:
            assert not txt.exists()
            if _schema(node) == "graphql":
                assert node["edge_media_to_caption"]["edges"] == []
        else:
            assert txt.read_text(encoding="utf-8") == caption + "\n"


def test_captions_speak_instagram(download):
    folder, truth = download
    captions = [c for _, n in _posts(folder).values() if (c := _caption(n)) is not None]
    text = "\n".join(captions)
    hashtags = re.findall(r"#(\w+)", text)
    mentions = set(re.findall(r"@([\w.]+\w)", text))
    assert sum("#" in c for c in captions) / len(captions) > 0.6
    assert any(not tag.isascii() for tag in hashtags)
    assert mentions and mentions <= set(truth["profiles"])
    assert "\u200d" in text  # a zero-width-joined emoji such as 👩‍🍳
    assert re.search("[\U0001f1e6-\U0001f1ff]{2}", text)  # a flag


def test_timestamps_spread_over_a_year_and_shortcodes_are_unique(download):
    folder, _ = download
    posts = _posts(folder)
    stamps = [n.get("taken_at_timestamp", n.get("date")) for _, n in posts.values()]
    assert len(set(stamps)) == len(stamps)
    assert 300 * 86_400 < max(stamps) - min(stamps) <= 366 * 86_400
    shortcodes = list(posts)
    for _, node in posts.values():
        for edge in node.get("edge_sidecar_to_children", {}).get("edges", []):
            if "shortcode" in edge["node"]:
                shortcodes.append(edge["node"]["shortcode"])
    assert len(set(shortcodes)) == len(shortcodes)
    assert all(SHORTCODE.match(code) for code in shortcodes)


def test_shortcodes_are_instagrams_encoding_of_the_media_id(download):
    from instaloader import Post

    folder, _ = download
    for _, node in list(_posts(folder).values())[:40]:
        assert Post.mediaid_to_shortcode(int(node["id"])) == node["shortcode"]


def test_follow_graph_is_consistent_and_denser_within_a_theme(download):
    folder, truth = download
    follows = set()
    for profile in truth["profiles"]:
        followers = json.loads((folder / profile / "followers.json").read_text(encoding="utf-8"))
        followees = json.loads((folder / profile / "followees.json").read_text(encoding="utf-8"))
        assert OWNER_USERNAME in followers
        assert set(followers) | set(followees) <= set(truth["profiles"]) | {OWNER_USERNAME}
        follows |= {(name, profile) for name in followers}
        follows |= {(profile, name) for name in followees}
        user_id = (folder / profile / "id").read_text().strip()
        node = _read_xz(folder / profile / f"{profile}_{user_id}.json.xz")["node"]
        # The lists hold the known part of the circle; the counts are the whole audience.
        assert node["edge_followed_by"]["count"] >= len(followers) + 800
        assert node["edge_follow"]["count"] >= len(followees) + 50
    for follower, followee in follows:  # each edge is in both lists
        if follower != OWNER_USERNAME:
            assert followee in json.loads((folder / follower / "followees.json").read_text())
        if followee != OWNER_USERNAME:
            assert follower in json.loads((folder / followee / "followers.json").read_text())
    assert not (folder / OWNER_USERNAME).exists()
    assert 0 < sum(followee == OWNER_USERNAME for _, followee in follows) < 12
    themes = truth["profiles"]
    pairs = [(a, b) for a in themes for b in themes if a != b]
    within = [(a, b) in follows for a, b in pairs if themes[a] == themes[b]]
    across = [(a, b) in follows for a, b in pairs if themes[a] != themes[b]]
    assert np.mean(within) > 2 * np.mean(across) > 0


def test_images_differ_visibly_by_theme(download):
    """A nearest-centroid classifier on 8×8 thumbnails tells the themes apart."""
    folder, truth = download
    features, labels = [], []
    for path, node in _posts(folder).values():
        stem = path.name.removesuffix(".json.xz")
        image_path = path.parent / (
            f"{stem}_1.jpg" if "edge_sidecar_to_children" in node else f"{stem}.jpg"
        )
        with Image.open(image_path) as image:
            assert image.size == (256, 256) and image.mode == "RGB"
            features.append(np.asarray(image.resize((8, 8), Image.BILINEAR), float).ravel())
        labels.append(truth["posts"][node["shortcode"]])
    x, y = np.array(features) / 255, np.array(labels)
    train = np.arange(len(y)) % 2 == 0
    centroids = {theme: x[train & (y == theme)].mean(axis=0) for theme in THEMES}
    predicted = [min(THEMES, key=lambda t: ((row - centroids[t]) ** 2).sum()) for row in x[~train]]
    assert np.mean(np.array(predicted) == y[~train]) > 0.7
    with Image.open(image_path) as image:  # drawn shapes, not noise
        pixels = np.asarray(image, float)
    assert np.abs(np.diff(pixels, axis=1)).mean() < 20


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
    for path, node in _posts(folder).values():
        schema = _schema(node)
        if _caption(node) is None or schema in checked:
            continue
        post = instaloader.load_structure_from_file(context, str(path))
        assert isinstance(post, instaloader.Post)
        assert post.shortcode == node["shortcode"] in truth["posts"]
        assert post.caption == _caption(node)
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


@pytest.mark.parametrize(
    "settings", [{"n_profiles": 0}, {"posts_per_profile": 0}, {"image_size": 8}]
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ValueError, match=next(iter(settings))):
        demo_ground_truth(**settings)


def test_write_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "something.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_demo_download(tmp_path / "taken", n_profiles=1, posts_per_profile=1)


SMALL = {"seed": 3, "n_profiles": 6, "posts_per_profile": 3, "image_size": 32}


def test_ensure_generates_once_then_skips(tmp_path, caplog):
    folder = tmp_path / "raw" / "demo"
    truth = ensure_demo_download(folder, **SMALL)
    assert truth == demo_ground_truth(**SMALL)
    hashes = _hashes(folder)
    assert hashes
    assert [p.name for p in folder.parent.iterdir()] == ["demo"]  # no partial folder left
    image = next(folder.glob("*/*_UTC*.jpg"))
    image.unlink()
    assert ensure_demo_download(folder, **SMALL) == truth
    assert not image.exists()  # skipped: nothing regenerated
    with caplog.at_level(logging.WARNING, logger="insta_kedro.ingestion.demo"):
        other = ensure_demo_download(folder, **{**SMALL, "seed": 4})
    assert other["seed"] == 4
    assert "not generated with these demo settings" in caplog.text


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
    write_post = demo_data._write_post

    def failing_write_post(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        write_post(*args, **kwargs)

    monkeypatch.setattr(demo_data, "_write_post", failing_write_post)
    with pytest.raises(KeyboardInterrupt):
        ensure_demo_download(folder, **SMALL)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(demo_data, "_write_post", write_post)
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
