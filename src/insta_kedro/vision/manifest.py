"""The image manifest: one row per post with its image's path and sha256, or why it has none.

The sha256 is the key of the feature cache (``insta_kedro.vision.feature_cache``): the same
bytes under another name or in another post are encoded once.

Example:
    >>> manifest = build_image_manifest(posts)  # posts: post_id, image_path
    >>> manifest.columns.tolist()
    ['post_id', 'image_path', 'image_sha256', 'error']
"""

from pathlib import Path
from typing import Any

import pandas as pd

from insta_kedro.vision.file_hashes import hash_file

# ingestion leaves image_path null when a post has no image file (a caption-only download) or
# none of its files decodes (its report then says why)
NO_IMAGE = "no usable image: no image file, or none that decodes (ingestion_report: skipped_files)"
FILE_NOT_FOUND = "image file not found"
UNREADABLE_FILE = "cannot read image file"


def hash_image(image_path: Any) -> tuple[str | None, str | None, str | None]:
    """Hash one post's image file.

    ``image_path``: the post's ``image_path`` value (a path string, or a null such as
    ``None`` or NaN when the post has no usable image).
    Returns ``(path, sha256, error)``: the path as given (``None`` when it is not a non-blank
    string), the file's sha256 in hex, and ``None``; or, with a null sha256, the reason:
    ``NO_IMAGE``, ``FILE_NOT_FOUND`` (no file at the path: none there, a folder, a path
    through a file or a symlink loop) or ``UNREADABLE_FILE`` (any ``OSError`` of looking at
    the path or reading the file: no permission on it or a folder above it, a name too long).
    """
    if not isinstance(image_path, str) or not image_path.strip():
        return None, None, NO_IMAGE
    path = Path(image_path)
    try:  # is_file() too raises for a path it cannot look at (a folder not entered, too long)
        if not path.is_file():
            return image_path, None, FILE_NOT_FOUND
        return image_path, hash_file(path, ("sha256",))["sha256"], None
    except OSError:
        return image_path, None, UNREADABLE_FILE


def build_image_manifest(posts: pd.DataFrame) -> pd.DataFrame:
    """Hash the image of every post.

    ``posts``: a frame with ``post_id`` and ``image_path`` columns.
    Returns one row per post, in the posts' order: ``post_id``, then ``image_path``,
    ``image_sha256`` and ``error`` (object dtype); ``error`` is null for a hashed image,
    else says why the post has no hash (see ``hash_image``).
    """
    hashed = [hash_image(path) for path in posts["image_path"]]
    manifest = pd.DataFrame(hashed, columns=["image_path", "image_sha256", "error"], dtype=object)
    manifest.insert(0, "post_id", posts["post_id"].to_numpy())
    return manifest
