"""The demo download of the default size, written once for the demo tests, and helpers that
read it back: files by hash, post nodes by shortcode, a node's schema and caption."""

import hashlib
import json
import lzma
import re
from pathlib import Path
from typing import Any

import pytest

from insta_kedro.ingestion.demo import write_demo_download

# The name of a post's metadata file.
POST_JSON = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC\.json\.xz$")


def read_xz(path: Path) -> dict[str, Any]:
    """The JSON structure of an xz-compressed file."""
    return json.loads(lzma.decompress(path.read_bytes()))


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def post_nodes(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every post node of the download by shortcode, with its JSON file."""
    posts = {}
    for path in sorted(folder.glob("*/*_UTC.json.xz")):
        node = read_xz(path)["node"]
        posts[node["shortcode"]] = (path, node)
    return posts


def schema_of(node: dict[str, Any]) -> str:
    """``"iphone"`` (logged-in) or ``"graphql"`` (anonymous): the schema of a post node."""
    return "iphone" if "iphone_struct" in node else "graphql"


def caption_of(node: dict[str, Any]) -> str | None:
    """The caption of a post node in either schema (``None``: no caption)."""
    if schema_of(node) == "iphone":
        return node["caption"]
    edges = node["edge_media_to_caption"]["edges"]
    return edges[0]["node"]["text"] if edges else None


@pytest.fixture(scope="package")
def download(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo download of the default size and its ground truth, written once."""
    folder = tmp_path_factory.mktemp("demo") / "download"
    return folder, write_demo_download(folder)
