"""Read-only access to a Kedro project's outputs, for the web app.

The app never runs a pipeline: it opens the project's catalog with the project's own
configuration loader (``conf/base`` + ``conf/local``, the settings of ``settings.py``) and
loads what the last ``kedro run`` wrote. A missing (or unreadable) output raises
:class:`OutputMissingError` whose message names the ``kedro run`` that makes it.

.. code-block:: python

    reader = CatalogReader(Path("."))
    reader.exists("posts")                      # True after `kedro run --pipelines=ingestion`
    posts = reader.load("posts")
    reader.load_columns("posts", ["has_caption"])  # one column read from the file
    reader.modified("posts")                    # when the file was written
    reader.safe_image_path(posts.image_path[0]) # None unless under data/ or the ingested folder
    reader.resolve_image_path("../x.jpg")       # UnsafePathError, whose message says why
"""

import contextlib
import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException, OmegaConfigLoader
from kedro.framework.project import settings
from kedro.framework.startup import bootstrap_project
from kedro.io import AbstractDataset, DataCatalog
from kedro.io.core import DatasetError
from kedro_datasets.pandas import ParquetDataset

from insta_kedro.engine.tables import column_names, read_columns
from insta_kedro.kedro_ext.project_paths import anchored_parameters
from insta_kedro.kedro_ext.tracking_server import anchored_tracking_uri

PROJECT_PATH_ENV = "INSTA_KEDRO_PROJECT_PATH"
EXPERIMENT_NAME = "insta_kedro"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
MAX_PATH_LENGTH = 1024  # characters of an image path an output may give

# The outputs the app shows, in data-flow order.
APP_OUTPUTS = (
    "posts",
    "profiles",
    "follows",
    "ingestion_report",
    "image_features",
    "image_labels",
    "caption_vocab",
    "caption_model",
    "generated_captions",
    "caption_metrics",
    "post_text_features",
    "post_features",
    "user_features",
    "post_clusters",
    "user_clusters",
    "cluster_profiles",
    "user_characterizations",
)


class OutputMissingError(LookupError):
    """An output the app wants has not been written yet, is not in the catalog, or is damaged."""

    def __init__(
        self,
        dataset: str,
        pipeline: str | None,
        reason: str = "has not been made yet",
        damaged: bool = False,
    ):
        self.dataset = dataset
        self.pipeline = pipeline
        self.damaged = damaged  # the file is there but cannot be read
        command = f"kedro run --pipelines={pipeline}" if pipeline else "kedro run"
        self.command = command
        super().__init__(f"`{dataset}` {reason}: run `{command}` in the project folder.")


class UnsafePathError(ValueError):
    """A path the app will not open: its message says why."""


def find_project_path(start: Path | None = None) -> Path:
    """The Kedro project: ``$INSTA_KEDRO_PROJECT_PATH``, else the first folder from ``start``
    (default: the working directory) upwards with a ``pyproject.toml`` naming ``[tool.kedro]``."""
    if os.environ.get(PROJECT_PATH_ENV):
        return Path(os.environ[PROJECT_PATH_ENV]).resolve()
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.kedro]" in pyproject.read_text(encoding="utf-8"):
            return folder
    raise FileNotFoundError(
        f"no Kedro project found from {start} upwards: start the app in the project folder "
        f"or set {PROJECT_PATH_ENV}."
    )


def _absolute_filepaths(config: Any, root: Path) -> Any:
    """Catalog entries with every relative ``filepath`` made absolute against ``root``.

    Kedro takes relative paths from the working directory (``kedro run`` runs in the project
    root); the app may run anywhere, so it anchors them to the project itself.
    """
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "filepath" and isinstance(value, str) and "://" not in value:
                path = Path(value)
                out[key] = str(path if path.is_absolute() else root / path)
            else:
                out[key] = _absolute_filepaths(value, root)
        return out
    return config


@dataclass(frozen=True)
class OutputStatus:
    dataset: str
    exists: bool
    path: Path | None
    modified: datetime | None
    pipeline: str | None


NO_FILE = -1
"""What :func:`modified_ns` gives for a path without a file."""


def modified_ns(path: Path | None) -> int:
    """The modification time of the file at ``path`` in ns, :data:`NO_FILE` when there is
    none (no path, no file, or one that cannot be looked at)."""
    try:
        return path.stat().st_mtime_ns if path is not None else NO_FILE
    except OSError:
        return NO_FILE


class CatalogReader:
    """The project's catalog, opened read-only; ``load`` never runs anything."""

    def __init__(self, project_path: Path, env: str | None = None):
        self.project_path = Path(project_path).resolve()
        bootstrap_project(self.project_path)
        loader_args = dict(settings.CONFIG_LOADER_ARGS)
        self.config_loader = OmegaConfigLoader(
            conf_source=str(self.project_path / settings.CONF_SOURCE),
            env=env,
            **loader_args,
        )
        catalog_config = _absolute_filepaths(self.config_loader["catalog"], self.project_path)
        try:
            credentials = self.config_loader["credentials"]
        except MissingConfigException:
            credentials = {}
        self.catalog = DataCatalog.from_config(catalog_config, credentials)
        # relative path parameters (image_features.weights) from the project, as in a run
        self.params: dict[str, Any] = anchored_parameters(
            dict(self.config_loader["parameters"]), self.project_path
        )
        # (the report file's modification time, the folder it names): see image_roots
        self._report_folder: tuple[int | None, str | None] = (None, None)

    # ------------------------------------------------------------------ outputs
    def producer(self, dataset: str) -> str | None:
        """The pipeline that writes ``dataset`` (None when no pipeline does)."""
        return _producers().get(dataset)

    def path(self, dataset: str) -> Path | None:
        if dataset not in self.catalog:
            return None
        filepath = getattr(self.catalog.get(dataset), "_filepath", None)
        return Path(str(filepath)) if filepath is not None else None

    def exists(self, dataset: str) -> bool:
        """True when the output's file is there (an optional dataset's empty default is not)."""
        if dataset not in self.catalog:
            return False
        path = self.path(dataset)
        if path is not None:
            return path.exists()
        return bool(self.catalog.exists(dataset))

    def modified(self, dataset: str) -> datetime | None:
        path = self.path(dataset)
        if path is None or not path.exists():
            return None
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)

    def missing(self, datasets: Iterable[str] = APP_OUTPUTS) -> list[str]:
        """The names of ``datasets`` (by default every output the app shows) whose file is not
        there, in their order."""
        return [name for name in datasets if not self.exists(name)]

    def status(self, datasets: Iterable[str]) -> list[OutputStatus]:
        return [
            OutputStatus(
                name, self.exists(name), self.path(name), self.modified(name), self.producer(name)
            )
            for name in datasets
        ]

    def load(self, dataset: str) -> Any:
        """The saved output; :class:`OutputMissingError` when it is not there or cannot be read."""
        self._check_made(dataset)
        with self._damaged_if_unreadable(dataset):
            return self.catalog.load(dataset)

    def load_columns(self, dataset: str, columns: Sequence[str]) -> Any:
        """The saved table output ``dataset`` with only its ``columns``.

        Takes the output's name and the columns wanted. A Parquet output of the catalog
        (kedro-datasets' ``pandas.ParquetDataset`` and its subclasses) is loaded through its
        own catalog entry with ``load_args.columns`` set, so that only those columns are read
        from the file; a lazy table (a ``pyarrow`` dataset) reads only those too; any other
        frame is loaded whole and cut. Returns a ``pandas.DataFrame``; raises
        :class:`OutputMissingError` as :meth:`load` does (a column the file lacks makes it
        unreadable).
        """
        self._check_made(dataset)
        columns = list(columns)
        with self._damaged_if_unreadable(dataset):
            if isinstance(self.catalog.get(dataset), ParquetDataset):
                config = dict(self.catalog.config_resolver.resolve_pattern(dataset))
                config["load_args"] = {**(config.get("load_args") or {}), "columns": columns}
                table = AbstractDataset.from_config(dataset, config).load()
            else:
                table = self.catalog.load(dataset)
            lacking = [column for column in columns if column not in column_names(table)]
            if lacking:
                raise DatasetError(f"it has no column {', '.join(lacking)}")
            return read_columns(table, columns)

    def read_bytes(self, dataset: str) -> bytes:
        """The bytes of the output's file, as written; :class:`OutputMissingError` when it is
        not there (or cannot be read)."""
        self._check_made(dataset)
        try:
            return self.path(dataset).read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)
            raise OutputMissingError(
                dataset, self.producer(dataset), f"cannot be read ({reason})", damaged=True
            ) from error

    def _check_made(self, dataset: str) -> None:
        """Raises :class:`OutputMissingError` when ``dataset`` is not in the catalog or its
        file is not there."""
        if dataset not in self.catalog:
            raise OutputMissingError(
                dataset, self.producer(dataset), "is not in this project's catalog yet"
            )
        if not self.exists(dataset):
            raise OutputMissingError(dataset, self.producer(dataset))

    @contextlib.contextmanager
    def _damaged_if_unreadable(self, dataset: str):
        """Turns a ``DatasetError`` of loading ``dataset`` (a file cut short or emptied, a
        column it lacks) into an :class:`OutputMissingError` that says so, and which run
        writes it again."""
        try:
            yield
        except DatasetError as error:
            cause = str(error.__cause__ or error).strip().splitlines()[-1][:200]
            raise OutputMissingError(
                dataset, self.producer(dataset), f"cannot be read ({cause})", damaged=True
            ) from error

    # ------------------------------------------------------------------- images
    def image_roots(self) -> list[Path]:
        """Folders images may be served from: the project's data folder and the instaloader
        folder the last ingestion read (``ingestion_report.folder``, whatever its source: a
        folder, the demo's or the live download's, which may lie outside data/).

        Asked on every call, so a new ``kedro run`` on another folder is followed; the report
        itself is read again only when its file changed. The ``ingestion.folder`` parameter
        is not a root: it names what the next run reads, not what the shown outputs were
        made from."""
        roots = [self.project_path / "data"]
        folder = self._ingested_folder()
        if folder:
            path = Path(folder).expanduser()
            roots.append(path if path.is_absolute() else self.project_path / path)
        return [root.resolve() for root in roots]

    def _ingested_folder(self) -> str | None:
        """The folder ``ingestion_report`` says the last ingestion read, else None (no report,
        a damaged one, one naming no folder).

        The report is read again only when its file changed (:func:`modified_ns`), not for
        every image a page shows: it has a row per profile."""
        version = modified_ns(self.path("ingestion_report"))
        if version != self._report_folder[0]:
            folder = self._read_ingested_folder() if version != NO_FILE else None
            self._report_folder = (version, folder)
        return self._report_folder[1]

    def _read_ingested_folder(self) -> str | None:
        """``ingestion_report``'s folder, read now; None when it names none (or no text)."""
        try:
            report = self.catalog.load("ingestion_report") or {}
        except DatasetError:  # damaged: the Overview says so; images of data/ still show
            return None
        folder = report.get("folder") if isinstance(report, dict) else None
        return folder if isinstance(folder, str) and "\0" not in folder else None

    def resolve_image_path(self, image_path: Any) -> Path:
        """``image_path`` (relative to the project, or absolute) checked and resolved.

        Takes the path an output gives for an image. Returns the resolved file, with every
        link followed. Raises :class:`UnsafePathError`, whose message says why, when the value
        is no path, has a NUL byte, is over :data:`MAX_PATH_LENGTH` characters, names no image
        type (:data:`IMAGE_SUFFIXES`), resolves (through ``..`` or a link) outside
        :meth:`image_roots`, or is no file.
        """
        if not isinstance(image_path, str) or not image_path:
            raise UnsafePathError("the output gives no image path")
        if "\0" in image_path:
            raise UnsafePathError("the image path contains a NUL byte")
        if len(image_path) > MAX_PATH_LENGTH:
            raise UnsafePathError(
                f"the image path is {len(image_path):,} characters long, over {MAX_PATH_LENGTH:,}"
            )
        path = Path(image_path)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise UnsafePathError(
                f"the file's name does not end in an image type ({', '.join(IMAGE_SUFFIXES)})"
            )
        try:
            path = (path if path.is_absolute() else self.project_path / path).resolve()
            inside = any(path.is_relative_to(root) for root in self.image_roots())
            if inside and not path.is_file():
                raise UnsafePathError("the image file is not there (any more)")
        except (OSError, RuntimeError) as error:  # a name too long, a loop of links
            reason = getattr(error, "strerror", None) or str(error)
            raise UnsafePathError(f"the image path cannot be resolved ({reason})") from error
        if not inside:
            raise UnsafePathError(
                "the image lies outside the project's data/ folder and the ingested folder "
                "(through `..`, an absolute path or a link); images are served from those only"
            )
        return path

    def safe_image_path(self, image_path: Any) -> Path | None:
        """``image_path`` resolved when it is an image file under one of ``image_roots``, else
        None (:meth:`resolve_image_path` says why)."""
        try:
            return self.resolve_image_path(image_path)
        except UnsafePathError:
            return None

    # ------------------------------------------------------------------- MLflow
    def mlflow_tracking_uri(self) -> str:
        """The tracking URI of ``conf/*/mlflow.yml`` (``$MLFLOW_TRACKING_URI``, else
        ``sqlite:///mlflow.db``), a relative SQLite path anchored to the project root."""
        server = self.config_loader["mlflow"]["server"]
        uri = server.get("mlflow_tracking_uri") or "sqlite:///mlflow.db"
        return anchored_tracking_uri(uri, self.project_path)


@functools.cache
def _producers() -> dict[str, str]:
    """Output dataset → the registered pipeline that writes it (imports the pipelines once)."""
    from insta_kedro.pipeline_registry import project_pipelines

    producers: dict[str, str] = {}
    for name, pipeline in project_pipelines().items():
        for dataset in pipeline.all_outputs():
            producers.setdefault(dataset, name)
    return producers
