"""Tests of the drawn content: seeds, ground truth, captions, alt text, timestamps,
shortcodes and the pictures."""

import json
import random
import re
from collections import Counter

import numpy as np
from PIL import Image

from insta_kedro.ingestion.demo.draw import (
    demo_ground_truth,
    draw_theme_image,
    mediaid_to_shortcode,
)
from insta_kedro.ingestion.demo.plan import THEMES
from insta_kedro.ingestion.demo.write import write_demo_download
from tests.ingestion.demo.conftest import caption_of, post_nodes, schema_of

SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{11}$")


def test_another_seed_gives_another_download(download, tmp_path):
    _, truth = download
    other = write_demo_download(tmp_path / "other", seed=7, n_profiles=6, posts_per_profile=4)
    assert other["seed"] == 7
    assert set(other["posts"]).isdisjoint(truth["posts"])


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


def test_some_posts_carry_an_accessibility_caption_in_both_schemas(download):
    folder, _ = download
    with_alt = Counter(
        schema_of(node)
        for _, node in post_nodes(folder).values()
        if node.get("accessibility_caption")
    )
    assert with_alt["graphql"] > 0 and with_alt["iphone"] > 0


def test_captions_speak_instagram(download):
    folder, truth = download
    captions = [c for _, n in post_nodes(folder).values() if (c := caption_of(n)) is not None]
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
    posts = post_nodes(folder)
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
    for _, node in list(post_nodes(folder).values())[:40]:
        assert Post.mediaid_to_shortcode(int(node["id"])) == node["shortcode"]
    for media_id in (1, 63, 64, 2**60 + 12345):
        assert mediaid_to_shortcode(media_id) == Post.mediaid_to_shortcode(media_id)


def test_images_differ_visibly_by_theme(download):
    """A nearest-centroid classifier on 8×8 thumbnails tells the themes apart."""
    folder, truth = download
    features, labels = [], []
    for path, node in post_nodes(folder).values():
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


def test_a_theme_image_is_drawn_from_its_generator_alone():
    def pixels(seed: str) -> bytes:
        return draw_theme_image("pets", random.Random(seed), 48).tobytes()

    image = draw_theme_image("music", random.Random(1), 48)
    assert (image.size, image.mode) == ((48, 48), "RGB")
    assert pixels("a") == pixels("a") != pixels("b")
