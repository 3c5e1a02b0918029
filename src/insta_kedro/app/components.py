"""Streamlit pieces the pages share: the cached catalog reader, cached loads, messages."""

import re
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from insta_kedro.app.catalog_reader import (
    CatalogReader,
    OutputMissingError,
    UnsafePathError,
    find_project_path,
)
from insta_kedro.app.images import open_header
from insta_kedro.engine.tables import Table
from insta_kedro.vision import used_encoders, weights_of

RANDOM_WEIGHTS_WARNING = (
    "These results were made with **random VGG16 weights** (encoder `{encoder}`): image "
    "features, ImageNet labels and everything built on them carry no ImageNet meaning. Place "
    "the ImageNet weights in `~/.keras/models` (or set `image_features.weights` to a local "
    "file) and run `kedro run` again."
)


@st.cache_resource(show_spinner="Opening the Kedro catalog…")
def _reader(project_path: str) -> CatalogReader:
    return CatalogReader(Path(project_path))


def reader() -> CatalogReader:
    """The project's catalog reader (one per project and process)."""
    return _reader(str(find_project_path()))


class OutputCache:
    """The outputs loaded so far, one version of each: a new version replaces the old one.

    Thread-safe (each browser session runs the pages in a thread of its own); an output is
    loaded once per version even when several sessions ask for it at the same time.
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, load: Callable[[], Any]) -> Any:
        """The value cached under ``key`` when it is of ``version``, else ``load()``'s, which
        then replaces it. The old version is let go before the new one is loaded, so that at
        most one version of an output is held (unless a page still uses the old one). An
        exception of ``load`` is raised and nothing is cached."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                return entry[1]
            self._entries.pop(key, None)
            entry = None
            value = load()
            self._entries[key] = (version, value)
            return value

    def versions(self) -> dict[Hashable, Hashable]:
        """The version held of each key."""
        with self._lock:
            return {key: version for key, (version, _) in self._entries.items()}


@st.cache_resource(show_spinner=False)
def output_cache() -> OutputCache:
    """The process's cache of loaded outputs, keyed by project and dataset, each of the
    modification time of its file, so that a new ``kedro run`` is picked up and the outputs
    of the run before are let go."""
    return OutputCache()


def load_output(dataset: str, show_missing: bool = True) -> Any | None:
    """The saved output (shared: do not modify it), or None after saying which run makes it."""
    catalog = reader()
    path = catalog.path(dataset)
    try:
        modified_ns = path.stat().st_mtime_ns if path is not None and path.exists() else -1
        key = (str(catalog.project_path), dataset)
        return output_cache().get(key, modified_ns, lambda: catalog.load(dataset))
    except OutputMissingError as missing:
        if missing.damaged:
            st.warning(str(missing), icon="⚠️")
        elif show_missing:
            st.info(str(missing), icon="ℹ️")
        return None


def random_encoders(image_features: Table | None) -> list[str]:
    """Encoder names of the run that used random weights (``...-random``) on at least one
    image (``vision.used_encoders``: rows with an ``error`` encoded nothing)."""
    return [e for e in used_encoders(image_features) if weights_of(e) == "random"]


def warn_if_random_weights() -> bool:
    """A visible warning when the run's image features came from random weights."""
    image_features = load_output("image_features", show_missing=False)
    encoders = random_encoders(image_features)
    if encoders:
        st.warning(RANDOM_WEIGHTS_WARNING.format(encoder=", ".join(encoders)), icon="⚠️")
    return bool(encoders)


def shown(value: object, limit: int = 80) -> str:
    """``value`` made safe to put between backticks in a message.

    Takes any value (a file name, a URL parameter) and the most characters to keep. Returns it
    as text with control characters (a NUL byte, a line break) escaped as ``\\x00``, backticks
    replaced by ``'`` and anything over ``limit`` characters cut, with ``…`` and the length.
    """
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(value))
    text = text.replace("`", "'")
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(str(value)):,} characters)"
    return text


# Characters that Markdown (as Streamlit renders it, "$" for maths) reads as formatting
# inside a line; a "#" or "-" only starts a heading or a list at the start of a line.
_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\]<>|~$])")


def plain_markdown(text: str) -> str:
    """``text`` with every Markdown sign escaped, so that ``st.markdown`` shows it as written
    (a persona label such as ``travel · #new_york · bridge`` keeps its underscores)."""
    return _MARKDOWN_SIGNS.sub(r"\\\1", text)


def shown_caption(caption: object, limit: int) -> str:
    """A post's caption cut to ``limit`` characters (with ``…``), or ``(no caption)``."""
    if not isinstance(caption, str) or not caption.strip():
        return "(no caption)"
    caption = caption.strip()
    return caption if len(caption) <= limit else caption[: limit - 1].rstrip() + "…"


def image_bytes(image_path: object) -> bytes:
    """The bytes of the image ``image_path`` names, checked.

    Takes the path an output gives. Returns the file's bytes once
    :meth:`CatalogReader.resolve_image_path` accepted the path and
    :func:`insta_kedro.app.images.open_header` the content. Raises ``ValueError``
    (:class:`UnsafePathError`, :class:`NotAnImageError`, :class:`TooManyPixelsError`) with
    the reason otherwise.
    """
    path = reader().resolve_image_path(image_path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnsafePathError(f"the image cannot be read ({error.strerror})") from error
    open_header(data)
    return data


def show_image(image_path: str | None, caption: str | None = None, width: int | str = "stretch"):
    """The post's image when it lies under the project's data or ingested folder and is one.

    Takes the path the output gives, a caption and the width for ``st.image``. Shows the image,
    or a caption saying why not: "no photo in the download" when there is no path (a
    caption-only download), else the reason (outside the folders, no image, too many
    pixels). Returns whether the image is shown.
    """
    if not isinstance(image_path, str) or not image_path:
        st.caption(
            f"{caption}: no photo in the download" if caption else "no photo in the download"
        )
        return False
    try:
        data = image_bytes(image_path)
        st.image(data, caption=caption, width=width)
    except (ValueError, OSError, SyntaxError) as error:  # decoding in st.image: a damaged file
        label = f"(no image to show) {caption}" if caption else "(no image to show)"
        st.caption(f"{label}: {str(error)[:300]}")
        return False
    return True


def weights_table(weights: dict[str, float] | None, name: str = "weight") -> pd.DataFrame:
    """``{category: weight}`` as a frame sorted by weight (for bar charts)."""
    items = sorted((weights or {}).items(), key=lambda kv: -float(kv[1] or 0.0))
    return pd.DataFrame(items, columns=["category", name])
