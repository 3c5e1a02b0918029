"""Property-based fuzzing (hypothesis) of the instaloader-folder parser `parse_download_folder`.

Two properties:

- `test_any_download_folder_is_parsed_and_every_file_counted`: a random download folder
  (1-3 profile sub-folders with a random mix of valid and damaged post JSON, captions,
  images, videos, profile JSON, follow lists, near-miss names, sub-sub-folders and
  dangling links, plus stray files at the top level) is parsed without an exception and
  its report accounts for every directory entry exactly once.
- `test_any_post_json_next_to_a_caption`: a valid instaloader post document with random
  keys removed, set to null or given a wrong type is parsed without an exception, and the
  post is either parsed or all its files are counted as skipped with a reason.

The number of cases comes from the hypothesis profile loaded in tests/conftest.py
(``HYPOTHESIS_PROFILE=nightly`` runs thousands).
"""

import copy
import io
import json
import lzma
import os
import struct
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from insta_kedro.ingestion.folder import POST_DTYPES, ROOT_KEY, parse_download_folder
from tests.ingestion.test_folder import graphql_node, iphone_node

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
FUZZ_SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------- valid file contents
def _jpeg(size: tuple[int, int], seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _image(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def _claim_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """`data` (a baseline JPEG) whose SOF0 header claims `width` x `height` pixels."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


def _claim_png_size(data: bytes, width: int, height: int) -> bytes:
    """`data` (a PNG) whose IHDR chunk claims `width` x `height` pixels, CRC fixed."""
    chunk = data[12:16] + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


JPEG = _jpeg((48, 32), seed=0)
IMAGES = {
    "jpeg": JPEG,
    "jpeg_small": _jpeg((8, 24), seed=1),
    "png": _image(Image.new("RGB", (20, 20), (200, 30, 60)), "PNG"),
    "png_palette": _image(Image.new("P", (16, 9), 3), "PNG"),
    "webp": _image(Image.new("RGB", (12, 12), (0, 90, 200)), "WEBP"),
}
HUGE_HEADERS = {  # a few bytes that claim images far over PIL's decompression-bomb limit
    "jpeg_claims_65000x65000": _claim_jpeg_size(JPEG, 65000, 65000),
    "jpeg_claims_12000x12000": _claim_jpeg_size(JPEG, 12000, 12000),
    "png_claims_100000x100000": _claim_png_size(IMAGES["png"], 100_000, 100_000),
}
MP4 = b"\x00\x00\x00\x20ftypisom" + bytes(20)
NESTING = 100_000


class Raw:
    """A JSON literal written as is (what `json.dumps` refuses or cannot write); a plain
    class, so that hypothesis reports it by its short `repr`."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:24]!r}{'…' if len(self.text) > 24 else ''})"


RAW_LITERALS = [
    Raw("1" + "0" * 5000),  # over Python's 4300-digit limit for int()
    Raw("1e400"),  # a float that reads as inf
    Raw("-1e400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("9223372036854775808"),  # 2**63
    Raw("18446744073709551616"),  # 2**64
    Raw("[" * NESTING + "]" * NESTING),  # deeper than the JSON decoder's recursion limit
    Raw('{"a":' * NESTING + "1" + "}" * NESTING),
]


def encode_json(value: Any, encoding: str = "utf-8") -> bytes:
    """`value` as JSON text, `Raw` leaves written verbatim, encoded with `encoding`."""
    raws: dict[str, str] = {}

    def swap(item: Any) -> Any:
        if isinstance(item, Raw):
            token = f"@@raw{len(raws)}@@"
            raws[f'"{token}"'] = item.text
            return token
        if isinstance(item, dict):
            return {key: swap(child) for key, child in item.items()}
        if isinstance(item, list):
            return [swap(child) for child in item]
        return item

    text = json.dumps(swap(value), ensure_ascii=False)
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text.encode(encoding, errors="replace")


def document(node: Any, node_type: str = "Post") -> dict[str, Any]:
    return {"node": node, "instaloader": {"version": "4.16", "node_type": node_type}}


# ---------------------------------------------------------------------- damage
class FileSpec:
    """One file to write: its name, what it holds (for the failure report) and its bytes;
    `padding` zero bytes are appended when written (oversized files stay cheap to draw).
    A plain class, so that hypothesis reports it by its short `repr`."""

    def __init__(self, name: str, label: str, data: bytes, padding: int = 0) -> None:
        self.name, self.label, self.data, self.padding = name, label, data, padding

    def __repr__(self) -> str:
        pad = f" + {self.padding} zero bytes" if self.padding else ""
        head = f"{self.data[:12]!r}{'…' if len(self.data) > 12 else ''}"
        return f"FileSpec({self.name!r}, {self.label}, {len(self.data)} bytes {head}{pad})"


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> tuple[str, bytes, int]:
    """`data` intact or damaged: (how, bytes, zero padding)."""
    how = draw(
        st.sampled_from(["intact"] * 4 + ["truncated", "bit_flipped", "empty", "garbage", "padded"])
    )
    if how == "truncated" and data:
        cut = draw(st.integers(0, len(data) - 1))
        return f"truncated@{cut}", data[:cut], 0
    if how == "bit_flipped" and data:
        flipped = bytearray(data)
        bits = draw(st.lists(st.integers(0, len(data) * 8 - 1), min_size=1, max_size=4))
        for bit in bits:
            flipped[bit // 8] ^= 1 << (bit % 8)
        return f"bit_flipped{bits}", bytes(flipped), 0
    if how == "empty":
        return "empty", b"", 0
    if how == "garbage":
        return "garbage", draw(st.binary(max_size=64)), 0
    if how == "padded":  # a few MB at most
        return "padded", data, draw(st.sampled_from([4096, 256 << 10, 2 << 20]))
    return "intact", data, 0


# ---------------------------------------------------------------------- JSON mutations
GARBAGE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """The paths (keys and list indexes) of every value below `value`."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    paths = []
    for key, child in items:
        paths.append((*prefix, key))
        paths.extend(_paths(child, (*prefix, key)))
    return paths


def wrong_type(old: Any) -> st.SearchStrategy[Any]:
    """A value of another type than `old` (or of a hostile size)."""
    swaps = [st.just(str(old))]
    if isinstance(old, dict):
        swaps.append(st.just(list(old.values())))
    if isinstance(old, list):
        swaps.append(st.just({str(index): item for index, item in enumerate(old)}))
    return st.one_of(
        *swaps,
        st.sampled_from([2**63, 2**64, 10**30, -1, 0, -(2**70)]),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(max_size=8),
        st.just([]),
        st.just({}),
        st.sampled_from(RAW_LITERALS),
        GARBAGE,
    )


@st.composite
def mutated(draw: st.DrawFn, value: Any, max_mutations: int = 6) -> Any:
    """`value` (a JSON document) with up to `max_mutations` values removed, set to null or
    replaced by a value of the wrong type; the mutations are `note`d."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(value)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        operation = draw(st.sampled_from(["remove", "null", "wrong_type"]))
        if operation == "remove":
            del parent[key]
            note(f"mutation: removed {list(path)}")
            continue
        parent[key] = None if operation == "null" else draw(wrong_type(parent[key]))
        note(f"mutation: {list(path)} = {parent[key]!r}"[:300])
    return value


SHORTCODES = st.sampled_from(["AbC123", "Same", "X_y-Z", 987654321, ""])


@st.composite
def post_nodes(draw: st.DrawFn) -> dict[str, Any]:
    """A valid post node: GraphQL (image, video, carousel, without caption) or iPhone."""
    shortcode = draw(SHORTCODES)
    timestamp = draw(st.integers(0, 4_000_000_000))
    caption = draw(st.sampled_from(["Sunny #Beach day with @Anna.Cooks.", "café #Été", None]))
    kind = draw(st.sampled_from(["image", "video", "sidecar", "iphone"]))
    if kind == "iphone":
        return iphone_node(shortcode, timestamp=timestamp, caption=caption)
    if kind == "sidecar":
        children = [{"__typename": "GraphImage", "accessibility_caption": "first"}, {}]
        return graphql_node(shortcode, timestamp, caption, "GraphSidecar", children)
    typename = "GraphVideo" if kind == "video" else "GraphImage"
    return graphql_node(shortcode, timestamp, caption, typename)


def profile_node(username: str, user_id: str) -> dict[str, Any]:
    return {
        "username": username,
        "id": user_id,
        "full_name": "Anna Cooks",
        "biography": "I cook. #food",
        "edge_followed_by": {"count": 1200},
        "edge_follow": {"count": 80},
        "is_verified": True,
        "is_business_account": False,
        "category_name": "Chef",
        "is_private": False,
        "iphone_struct": {"pk": user_id, "follower_count": 1200},
    }


# ---------------------------------------------------------------------- file contents
@st.composite
def json_bytes(draw: st.DrawFn, node: st.SearchStrategy[Any], node_type: str) -> bytes:
    """A (sometimes mutated) instaloader JSON document, sometimes not UTF-8."""
    doc = document(draw(node), draw(st.sampled_from([node_type, node_type, "StoryItem", None])))
    if draw(st.booleans()):
        doc = draw(mutated(doc, max_mutations=3))
    return encode_json(doc, draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"])))


def compress(data: bytes) -> bytes:
    """`data` in the .xz format (preset 0: the parser does not care, and it is 5x faster)."""
    return lzma.compress(data, preset=0)


def xz(data: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return data.map(compress)


def contents(profile: str) -> dict[str, st.SearchStrategy[bytes]]:
    """Every kind of file content, valid before damage."""
    post = json_bytes(post_nodes(), "Post")
    return {
        "post_json_xz": xz(post),
        "post_json": post,
        "profile_json_xz": xz(json_bytes(st.just(profile_node(profile, "42")), "Profile")),
        "caption": st.sampled_from(
            [
                b"Sunny #Beach day with @Anna.Cooks.\n",
                b"line one\r\nline two #two\r\n",
                "café #soleil\n".encode("latin-1"),
                "caf\u0065\u0301 #\u65e5\u672c".encode(),
                b"\xff\xfe\x00\xd8 not utf-8",
                b"",
            ]
        ),
        "image": st.sampled_from(sorted(IMAGES) * 3 + sorted(HUGE_HEADERS)).map(
            lambda name: IMAGES.get(name) or HUGE_HEADERS[name]
        ),
        "huge_image_header": st.sampled_from(sorted(HUGE_HEADERS)).map(HUGE_HEADERS.get),
        "mp4": st.just(MP4),
        "follow_list": st.lists(
            st.sampled_from(["bob", "carl", "", " ", "anna.cooks"]) | GARBAGE, max_size=5
        ).map(encode_json),
        "hostile_json_xz": st.sampled_from(RAW_LITERALS).map(encode_json).map(compress),
        "garbage": st.binary(max_size=64),
    }


NATURAL = {  # the content a file name calls for
    ".json.xz": "post_json_xz",
    ".json": "post_json",
    "_comments.json": "post_json",
    ".txt": "caption",
    "_old_00.txt": "caption",
    "_location.txt": "caption",
    ".txt.bak": "caption",
    ".mp4": "mp4",
    "_1.mp4": "mp4",
    "_2.mp4": "mp4",
}
IMAGE_REST = [".jpg", "_1.jpg", "_2.jpg", "_3.jpg", ".png", "_1.png", ".jpeg", ".JPG", ".webp"]
ODD_REST = ["_profile_pic.jpg", ".jpg.part", ".json.xz.temp", ".gif", "_x.jpg", "_1", ".json.XZ"]
VALID_DATES = ["2021-03-04_18-22-10", "2021-03-05_10-00-00", "2019-12-31_23-59-59"]
ODD_DATES = [  # match the name pattern, but are no date pandas can hold
    "2021-02-30_10-00-00",
    "2021-13-01_00-00-00",
    "2021-03-04_25-61-61",
    "9999-12-31_23-59-59",
    "0001-01-01_00-00-00",
    "0000-00-00_00-00-00",
    "\u0662\u0660\u0662\u0661-\u0660\u0663-\u0660\u0664_\u0661\u0668-\u0662\u0662-\u0661\u0660",
]
NEAR_MISS_STEMS = [  # do not match the name pattern
    "2021-03-04_18-22_UTC",
    "2021-3-4_18-22-10_UTC",
    "2021-03-04_18-22-10_utc",
    "2021-03-04 18-22-10_UTC",
    "x2021-03-04_18-22-10_UTC",
]


def stems() -> st.SearchStrategy[str]:
    """`<date>_UTC`, mostly with a valid date, sometimes one that is no real date or a name
    that almost matches the pattern."""
    dates = st.sampled_from(VALID_DATES * 6 + ODD_DATES).map(lambda date: f"{date}_UTC")
    return st.one_of(dates, dates, dates, st.sampled_from(NEAR_MISS_STEMS))


@st.composite
def post_file(draw: st.DrawFn, profile: str, stem: str, rest: str) -> FileSpec:
    """The file `<stem><rest>`, its content mostly the one its name calls for, maybe
    damaged."""
    kinds = contents(profile)
    natural = NATURAL.get(rest, "image" if rest in IMAGE_REST else "garbage")
    kind = natural if draw(st.integers(0, 9)) < 9 else draw(st.sampled_from(sorted(kinds)))
    how, data, padding = draw(damaged(draw(kinds[kind])))
    return FileSpec(stem + rest, f"{kind}/{how}", data, padding)


@st.composite
def post_groups(draw: st.DrawFn, profile: str) -> list[FileSpec]:
    """The files of one post as instaloader writes them (metadata, caption, an image, a
    video and its thumbnail, or carousel items), each maybe damaged."""
    stem = draw(stems())
    rests = [".json.xz"] if draw(st.integers(0, 9)) < 8 else []
    rests += [".json"] if draw(st.integers(0, 9)) < 2 else []
    rests += [".txt"] if draw(st.integers(0, 9)) < 6 else []
    ext = draw(st.sampled_from([".jpg", ".jpg", ".jpg", ".png", ".webp", ".jpeg", ".JPG"]))
    layout = draw(st.sampled_from(["image", "video", "carousel", "no_media"]))
    if layout == "image":
        rests.append(ext)
    elif layout == "video":
        rests += [ext, ".mp4"]
    elif layout == "carousel":
        rests += [f"_{index}{ext}" for index in range(1, draw(st.integers(2, 4)))]
        rests += ["_2.mp4"] if draw(st.booleans()) else []
    return [draw(post_file(profile, stem, rest)) for rest in rests]


@st.composite
def loose_post_files(draw: st.DrawFn, profile: str) -> FileSpec:
    """A file named like a post's, with any suffix (odd ones included)."""
    rest = draw(st.sampled_from(sorted(NATURAL) + IMAGE_REST * 2 + ODD_REST))
    return draw(post_file(profile, draw(stems()), rest))


@st.composite
def profile_level_files(draw: st.DrawFn, profile: str) -> FileSpec:
    """A file of a profile folder that is not a post's: profile JSON, follows, resume state,
    notes."""
    kinds = contents(profile)
    name, kind = draw(
        st.sampled_from(
            [
                (f"{profile}_42.json.xz", "profile_json_xz"),
                ("someone_else_7.json.xz", "profile_json_xz"),
                (f"{profile}_42.json", "garbage"),
                ("followers.json", "follow_list"),
                ("followees.json", "follow_list"),
                ("id", "garbage"),
                ("iterator_AbCd.json.xz", "post_json_xz"),
                ("notes.md", "caption"),
                (".DS_Store", "garbage"),
                ("cover.jpg", "image"),
            ]
        )
    )
    if draw(st.integers(0, 9)) >= 8:
        kind = draw(st.sampled_from(sorted(kinds)))
    how, data, padding = draw(damaged(draw(kinds[kind])))
    return FileSpec(name, f"{kind}/{how}", data, padding)


@dataclass(frozen=True)
class Download:
    """A download folder to write: profile sub-folders with their files, sub-folders and
    dangling symbolic links (to a missing file, or to themselves), plus stray files (or links
    to themselves) and hidden folders at the top level."""

    profiles: dict[str, list[FileSpec]]
    subfolders: dict[str, list[str]]
    dangling_links: dict[str, list[tuple[str, bool]]]
    top_level: list[FileSpec]
    hidden_folders: list[str]

    def write(self, root: Path) -> None:
        for profile, files in self.profiles.items():
            folder = root / profile
            folder.mkdir()
            for spec in files:
                (folder / spec.name).write_bytes(spec.data + bytes(spec.padding))
            for name in self.subfolders[profile]:
                if not (folder / name).exists():
                    (folder / name).mkdir()
                    (folder / name / f"{VALID_DATES[0]}_UTC.jpg").write_bytes(JPEG)
            for name, to_itself in self.dangling_links[profile]:
                if not os.path.lexists(folder / name):
                    os.symlink(name if to_itself else "missing-file", folder / name)
        for spec in self.top_level:
            if spec.label == "link_to_itself":
                os.symlink(spec.name, root / spec.name)
            else:
                (root / spec.name).write_bytes(spec.data)
        for name in self.hidden_folders:
            (root / name).mkdir()
            (root / name / "inside.txt").write_bytes(b"not counted")


PROFILE_NAMES = ["anna.cooks", "ben_hikes", "carla", "d"]


@st.composite
def downloads(draw: st.DrawFn) -> Download:
    names = draw(st.lists(st.sampled_from(PROFILE_NAMES), min_size=1, max_size=3, unique=True))
    profiles, subfolders, links = {}, {}, {}
    for name in names:
        files = [spec for group in draw(st.lists(post_groups(name), max_size=4)) for spec in group]
        files += draw(st.lists(loose_post_files(name) | profile_level_files(name), max_size=5))
        profiles[name] = list({spec.name: spec for spec in reversed(files)}.values())
        link_names = [f"{VALID_DATES[1]}_UTC{rest}" for rest in (".json.xz", ".txt", "_1.jpg")]
        link_names += [f"{VALID_DATES[1]}_UTC.mp4", "followers.json", f"{name}_42.json.xz"]
        links[name] = draw(
            st.lists(st.tuples(st.sampled_from(link_names), st.booleans()), max_size=1)
            if draw(st.integers(0, 3)) == 0
            else st.just([])
        )
        subfolders[name] = draw(
            st.lists(
                st.sampled_from(["sub", f"{VALID_DATES[0]}_UTC.jpg", ".hidden"]),
                max_size=2,
                unique=True,
            )
        )
    top_level = draw(
        st.lists(
            st.builds(
                FileSpec,
                st.sampled_from(["README.txt", "stray.json.xz", "loose.jpg", ".DS_Store", "x"]),
                st.sampled_from(["garbage", "link_to_itself"]),
                st.binary(max_size=32),
            ),
            max_size=3,
            unique_by=lambda spec: spec.name,
        )
    )
    hidden = draw(st.lists(st.sampled_from([".cache", ".git"]), max_size=2, unique=True))
    return Download(profiles, subfolders, links, top_level, hidden)


# ---------------------------------------------------------------------- checks
def assert_report_accounts_for_every_file(result, root: Path, profiles: list[str]) -> None:
    """Per profile (and `<root>`): every directory entry is counted once, as parsed, skipped
    or ignored; the totals are the sums over the profiles."""
    report = result.report
    json.dumps(report)
    strays = [entry.name for entry in os.scandir(root) if entry.name not in profiles]
    expected_keys = set(profiles) | ({ROOT_KEY} if strays else set())
    assert set(report["profiles"]) == expected_keys
    for name, counts in report["profiles"].items():
        entries = strays if name == ROOT_KEY else os.listdir(root / name)
        assert counts["files_seen"] == len(entries), name
        assert counts["files_seen"] == (
            counts["files_parsed"]
            + sum(counts["skipped"].values())
            + sum(counts["ignored_files"].values())
        ), name
        assert all(n > 0 for n in [*counts["skipped"].values(), *counts["ignored_files"].values()])
        assert {reason: len(files) for reason, files in counts["skipped_files"].items()} == (
            counts["skipped"]
        )
        skipped = [file for files in counts["skipped_files"].values() for file in files]
        assert len(set(skipped)) == len(skipped) and set(skipped) <= set(entries), name
        assert counts["posts_with_caption"] <= counts["posts_parsed"] <= counts["files_parsed"]

    totals = report["totals"]
    per_profile = report["profiles"].values()
    for key in ("files_seen", "files_parsed", "posts_parsed", "posts_with_caption"):
        assert totals[key] == sum(counts[key] for counts in per_profile), key
    for key in ("skipped", "ignored_files", "warnings"):
        summed = sum((Counter(counts[key]) for counts in per_profile), Counter())
        assert totals[key] == dict(summed), key
    assert totals["profiles"] == len(profiles)
    assert totals["profiles_without_posts"] == sum(
        report["profiles"][name]["posts_parsed"] == 0 for name in profiles
    )


def assert_tables_are_sound(result, root: Path) -> None:
    """Typed tables that agree with the report; every `image_path` an image PIL decodes."""
    posts = result.posts
    assert posts.dtypes.astype(str).to_dict() == POST_DTYPES
    assert posts["post_id"].is_unique
    assert not posts["taken_at"].isna().any()
    assert len(posts) == result.report["totals"]["posts_parsed"]
    for profile, counts in result.report["profiles"].items():
        assert (posts["profile"] == profile).sum() == counts["posts_parsed"]
    assert list(result.profiles["profile"]) == sorted(set(result.profiles["profile"]))
    for path in posts["image_path"].dropna():
        assert Path(path).is_absolute() and Path(path).parent.parent == root
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with Image.open(path) as image:
                image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


# ---------------------------------------------------------------------- property 1
@FUZZ_SETTINGS
@given(download=downloads(), max_posts=st.none() | st.integers(0, 3))
def test_any_download_folder_is_parsed_and_every_file_counted(
    download: Download, max_posts: int | None
) -> None:
    """Any folder with at least one profile sub-folder parses without an exception, and per
    profile ``files_seen`` (the number of entries of its folder, sub-folders and links
    included; the parser does not descend) equals
    ``files_parsed + sum(skipped.values()) + sum(ignored_files.values())``; the top-level
    entries that are no profile count under ``<root>``; totals are the sums. Every post has
    a file of its own that was parsed, so ``posts_parsed <= files_parsed``."""
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary).resolve()
        download.write(root)

        result = parse_download_folder(root, max_posts_per_profile=max_posts)

        assert_report_accounts_for_every_file(result, root, sorted(download.profiles))
        assert_tables_are_sound(result, root)
        totals = result.report["totals"]
        event(f"posts parsed: {min(totals['posts_parsed'], 3)}{'+' * (totals['posts_parsed'] > 3)}")
        for kind in ("skipped", "ignored_files", "warnings"):  # --hypothesis-show-statistics
            for reason in totals[kind]:
                event(f"{kind}: {reason}")
        if max_posts is not None:
            assert result.posts.groupby("profile").size().le(max_posts).all()


# ---------------------------------------------------------------------- property 2
PROFILE = "anna.cooks"
STEM = f"{VALID_DATES[0]}_UTC"
STEM_TIME = pd.Timestamp("2021-03-04 18:22:10", tz="UTC")
CAPTION = "from the txt #Tea"


def _plain_int(value: Any, upper: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < upper


def expected_taken_at(node: dict[str, Any]) -> pd.Timestamp | None:
    """The time the parser must give a post of `node` (as decoded from JSON), or None where
    the node's times are floats or out of pandas' range (then the test only asks for a
    time)."""
    for key in ("taken_at_timestamp", "date"):
        value = node.get(key)
        if _plain_int(value, 2**32):
            return pd.Timestamp(value, unit="s", tz="UTC")
        is_number = isinstance(value, float | int) and not isinstance(value, bool)
        if is_number and not (isinstance(value, int) and value < 0):
            return None
    return STEM_TIME


@FUZZ_SETTINGS
@given(
    doc=st.builds(document, post_nodes()).flatmap(mutated),
    with_image=st.booleans(),
)
def test_any_post_json_next_to_a_caption(doc: dict[str, Any], with_image: bool) -> None:
    """A mutated post JSON (.json.xz) next to its caption (.txt), maybe an image: no
    exception, every file counted, and either one post (from the JSON when it was parsed,
    else from the caption) or all files skipped with a reason."""
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary).resolve()
        folder = root / PROFILE
        folder.mkdir()
        (folder / f"{STEM}.json.xz").write_bytes(compress(encode_json(doc)))
        (folder / f"{STEM}.txt").write_text(CAPTION + "\n", encoding="utf-8")
        if with_image:
            (folder / f"{STEM}.jpg").write_bytes(JPEG)

        result = parse_download_folder(root)

        assert_report_accounts_for_every_file(result, root, [PROFILE])
        assert_tables_are_sound(result, root)
        counts = result.report["profiles"][PROFILE]
        assert counts["files_seen"] == 2 + with_image
        json_reason = next(
            (
                reason
                for reason, files in counts["skipped_files"].items()
                if f"{STEM}.json.xz" in files
            ),
            None,
        )
        event(f"post JSON: {json_reason or 'parsed'}, {len(result.posts)} post")
        if result.posts.empty:
            assert sum(counts["skipped"].values()) == counts["files_seen"]
            assert json_reason is not None
            return
        post = result.posts.iloc[0]
        assert len(result.posts) == 1 and post["profile"] == PROFILE
        assert post["has_caption"] == bool(post["caption"].strip())
        if with_image:
            assert post["image_path"] == str(folder / f"{STEM}.jpg")
        if json_reason is not None:  # the post comes from the caption file
            assert post["post_id"] == f"{PROFILE}/{STEM}"
            assert post["caption"] == CAPTION and post["taken_at"] == STEM_TIME
            assert pd.isna(post["likes"]) and pd.isna(post["comments"])
            return
        node = json.loads(encode_json(doc))["node"]  # the parser read it: so can json
        shortcode = node.get("shortcode")
        if isinstance(shortcode, str) and shortcode:
            assert post["post_id"] == shortcode
        elif isinstance(shortcode, int) and not isinstance(shortcode, bool):
            assert post["post_id"] == str(shortcode)
        else:
            assert post["post_id"] == f"{PROFILE}/{STEM}"
        expected = expected_taken_at(node)
        if expected is not None:
            assert post["taken_at"] == expected
        likes = node.get("edge_media_preview_like")
        likes = likes.get("count") if isinstance(likes, dict) else None
        if _plain_int(likes, 2**63):
            assert post["likes"] == likes
        elif not isinstance(likes, float):  # a float that is a whole count is one
            assert pd.isna(post["likes"])  # null, negative, over Int64, not a number
