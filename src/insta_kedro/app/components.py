"""Streamlit pieces the pages share: the cached catalog reader, cached loads, messages."""

import gc
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from insta_kedro.app.catalog_reader import (
    CatalogReader,
    OutputMissingError,
    UnsafePathError,
    find_project_path,
    modified_ns,
)
from insta_kedro.app.characterizations import DATASET as CHARACTERIZATIONS
from insta_kedro.app.characterizations import Characterizations, read_characterizations
from insta_kedro.app.images import read_image_file
from insta_kedro.engine.tables import Table
from insta_kedro.vision import used_encoders, weights_of

RANDOM_WEIGHTS_WARNING = (
    "These results were made with **random VGG16 weights** (encoder `{encoder}`): image "
    "features, ImageNet labels and everything built on them carry no ImageNet meaning. Place "
    "the ImageNet weights in `~/.keras/models` (or set `image_features.weights` to a local "
    "file) and run `kedro run` again."
)


@st.cache_resource(show_spinner=False)
def freeze_objects_alive(moment: str) -> None:
    """Move the objects alive now, above all those of the modules imported so far, out of the
    garbage collector's walks (``gc.freeze``), once per server process and ``moment`` (a
    name for the point of the app's life: its first run, a page's heavy imports). Streamlit
    collects all garbage after every script run (``runner.postScriptGC``): each click would
    walk them."""
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner="Opening the Kedro catalog…")
def _reader(project_path: str) -> CatalogReader:
    return CatalogReader(Path(project_path))


def reader() -> CatalogReader:
    """The project's catalog reader (one per project and process)."""
    return _reader(str(find_project_path()))


@dataclass(frozen=True)
class LoadedOutput:
    """An output as loaded from ``path`` when the file's modification time was
    ``modified_ns`` (``catalog_reader.modified_ns``)."""

    path: Path | None
    modified_ns: int
    value: Any

    def is_current(self) -> bool:
        """Whether the file is still the one loaded (no ``kedro run`` rewrote it since)."""
        return modified_ns(self.path) == self.modified_ns


@st.cache_resource(show_spinner=False, validate=LoadedOutput.is_current)
def _load(project_path: str, dataset: str, columns: tuple[str, ...] | None) -> LoadedOutput:
    """``dataset`` of the project (only its ``columns`` when given), one version held per
    project, dataset and columns: a file that a new ``kedro run`` rewrote fails ``validate``,
    so Streamlit drops the old version before loading the new one (and loads it once when
    several sessions ask at the same time)."""
    catalog = _reader(project_path)
    path = catalog.path(dataset)
    loaded_ns = modified_ns(path)  # before loading: a file rewritten meanwhile is loaded again
    value = catalog.load(dataset) if columns is None else catalog.load_columns(dataset, columns)
    return LoadedOutput(path, loaded_ns, value)


@st.cache_resource(show_spinner=False, validate=LoadedOutput.is_current)
def _load_characterizations(project_path: str) -> LoadedOutput:
    """The project's ``user_characterizations`` as :func:`read_characterizations` reads
    them, one version held per project (as :func:`_load`)."""
    catalog = _reader(project_path)
    path = catalog.path(CHARACTERIZATIONS)
    loaded_ns = modified_ns(path)
    return LoadedOutput(path, loaded_ns, read_characterizations(catalog))


def load_characterizations(show_missing: bool = True) -> Characterizations | None:
    """The run's people (``user_characterizations``; shared: do not modify them), or None
    after saying which run makes them (a damaged file is always said)."""
    try:
        return _load_characterizations(str(reader().project_path)).value
    except OutputMissingError as missing:
        _say_missing(missing, show_missing)
        return None


def _say_missing(missing: OutputMissingError, show_missing: bool) -> None:
    """A warning for a damaged output, else (when ``show_missing``) a note on which run makes
    it."""
    if missing.damaged:
        st.warning(str(missing), icon="⚠️")
    elif show_missing:
        st.info(str(missing), icon="ℹ️")


def load_output(
    dataset: str, show_missing: bool = True, columns: Iterable[str] | None = None
) -> Any | None:
    """The saved output (shared: do not modify it), or None after saying which run makes it.

    Takes the output's name, whether to say that it is missing (a damaged file is always
    said), and for a table the columns to read (None: all of them; a page that shows a few
    columns of a large table reads only those).
    """
    wanted = None if columns is None else tuple(columns)
    try:
        return _load(str(reader().project_path), dataset, wanted).value
    except OutputMissingError as missing:
        _say_missing(missing, show_missing)
        return None


def random_encoders(image_features: Table | None) -> list[str]:
    """Encoder names of the run that used random weights (``...-random``) on at least one
    image (``vision.used_encoders``: rows with an ``error`` encoded nothing)."""
    return [e for e in used_encoders(image_features) if weights_of(e) == "random"]


ENCODER_COLUMNS = ("encoder", "error")  # of image_features: which encoder made each feature


def warn_if_random_weights() -> bool:
    """A visible warning when the run's image features came from random weights."""
    image_features = load_output("image_features", show_missing=False, columns=ENCODER_COLUMNS)
    encoders = random_encoders(image_features)
    if encoders:
        st.warning(RANDOM_WEIGHTS_WARNING.format(encoder=", ".join(encoders)), icon="⚠️")
    return bool(encoders)


NAMES_SHOWN = 5  # profiles named in a message; the others are counted


def _profiles(names: list[str]) -> tuple[str, str]:
    """``1 profile`` / ``N profiles`` and the first :data:`NAMES_SHOWN` names in backticks."""
    listed = ", ".join(f"`{shown(name)}`" for name in names[:NAMES_SHOWN])
    more = f", … {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return f"{len(names)} profile{'' if len(names) == 1 else 's'}", f"({listed}{more})"


def _posts_changed(names: list[str], before: Mapping[str, int], now: Mapping[str, int]) -> str:
    """``1 profile`` / ``N profiles`` and the first :data:`NAMES_SHOWN` names, each with its
    posts before and now (`` `ann` 4 → 6 posts``)."""
    count, _ = _profiles(names)
    listed = ", ".join(
        f"`{shown(name)}` {before[name]} → {now[name]} posts" for name in names[:NAMES_SHOWN]
    )
    more = f", … {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return f"{count} whose posts changed since ({listed}{more})"


def download_changed(
    downloaded: Iterable[str],
    characterizations: Mapping[str, Mapping[str, Any]],
    posts_now: Mapping[str, int] | None = None,
) -> str | None:
    """Why the people shown are not those of the last ingestion, or None when they are.

    Takes the profiles of the last ingestion (``profiles``), the characterizations made by
    the last clustering (``user_characterizations``) and, when known, the posts the last
    ingestion read per profile. Returns a Markdown warning naming the profiles downloaded
    since, those no longer downloaded and those whose number of posts is not the one
    characterized (new posts downloaded, or posts gone), and saying which run brings the
    people up to date.
    """
    downloaded, characterized = set(downloaded), set(characterizations)
    new, gone = sorted(downloaded - characterized), sorted(characterized - downloaded)
    before = {
        name: posts
        for name in downloaded & characterized & set(posts_now or {})
        if isinstance(posts := (characterizations[name].get("posting") or {}).get("posts"), int)
    }
    changed = sorted(name for name, posts in before.items() if posts != posts_now[name])
    if not new and not gone and not changed:
        return None
    changes = []
    if new:
        count, names = _profiles(new)
        changes.append(f"{count} downloaded since {names}")
    if gone:
        count, names = _profiles(gone)
        changes.append(f"{count} no longer downloaded {names}")
    if changed:
        changes.append(_posts_changed(changed, before, posts_now))
    return (
        "The people shown here are those of an earlier download than the last ingestion: "
        f"{'; '.join(changes)}. Run `kedro run` to characterize the download as it is now."
    )


def ingested_posts(report: Any) -> dict[str, int]:
    """The posts the last ingestion read per profile, from ``ingestion_report`` (its
    ``profiles``' ``posts_parsed``); empty when the report gives none."""
    profiles = report.get("profiles") if isinstance(report, dict) else None
    if not isinstance(profiles, dict):
        return {}
    return {
        name: entry["posts_parsed"]
        for name, entry in profiles.items()
        if isinstance(entry, dict) and isinstance(entry.get("posts_parsed"), int)
    }


def warn_if_download_changed(characterizations: Characterizations) -> None:
    """A visible warning when ``characterizations`` (``user_characterizations``) are not of
    the profiles and posts the last ingestion read (:func:`download_changed` of their
    summaries), e.g. after a ``kedro run --pipelines=ingestion`` or a run stopped after its
    ingestion."""
    profiles = load_output("profiles", show_missing=False, columns=["profile"])
    if profiles is None:
        return
    posts_now = ingested_posts(load_output("ingestion_report", show_missing=False))
    message = download_changed(
        profiles["profile"].dropna().astype(str), characterizations.summaries, posts_now
    )
    if message:
        st.warning(message, icon="⚠️")


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
    :func:`insta_kedro.app.images.read_image_file` its header and size (a file that is no
    image, or too large, is not read). Raises ``ValueError`` (:class:`UnsafePathError`,
    :class:`NotAnImageError`, :class:`TooManyPixelsError`, :class:`FileTooLargeError`) with
    the reason otherwise.
    """
    path = reader().resolve_image_path(image_path)
    try:
        return read_image_file(path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UnsafePathError(f"the image cannot be read ({reason})") from error


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
