"""Relative path parameters taken from the project folder, whatever the working folder.

Kedro finds the project from a sub-folder (``cd notebooks && kedro run``), and a session may
be created for a project from any folder (``KedroSession.create(project_path=...)`` in a
notebook or a scheduler). Kedro anchors the catalog's relative ``filepath`` entries to the
project; the folders and files named by the parameters (:data:`PATH_PARAMETERS`) are opened
by the domain code as given, from the working folder. :class:`ProjectPathParamsHook` makes
each relative one absolute from the project folder (:func:`project_anchored`) before any
parameter is read, so that a run from ``notebooks/`` keeps the demo download, the image
feature cache and the caption model's checkpoint in the project's ``data/``, beside the
outputs, not in ``notebooks/data/``.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

PATH_PARAMETERS: Mapping[str, frozenset[str]] = {
    "ingestion.folder": frozenset(),
    "ingestion.demo_folder": frozenset(),
    "ingestion.instagram_folder": frozenset(),
    "image_features.weights": frozenset({"imagenet"}),
    "image_features.cache_dir": frozenset(),
    "caption_model.checkpoint_dir": frozenset(),
}
"""The parameters that name a folder or file, by dotted key, each with the values that name
none (``image_features.weights: imagenet``)."""


def project_anchored(path: str | Path, project_path: str | Path) -> str:
    """``path`` made absolute from ``project_path`` when it is relative; an absolute path,
    and one starting with ``~``, as it is. Takes and returns paths as text."""
    if Path(path).expanduser().is_absolute():
        return str(path)
    return str(Path(project_path).absolute() / path)


def anchored_parameters(parameters: dict[str, Any], project_path: str | Path) -> dict[str, Any]:
    """``parameters`` (the whole parameters configuration, ``--params`` included) with each
    path of :data:`PATH_PARAMETERS` made absolute from ``project_path``
    (:func:`project_anchored`).

    A setting that is not there, null, empty, a boolean or one of its key's values that name
    no path is left as it is (the parameter types report a wrong one); a number is a name
    (``ingestion.folder=2024``). Returns a new dict, or ``parameters`` when nothing changes.
    """
    anchored = parameters
    for key, keywords in PATH_PARAMETERS.items():
        section, setting = key.split(".")
        settings = anchored.get(section)
        if not isinstance(settings, Mapping):
            continue
        value = settings.get(setting)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        if str(value) in keywords or not str(value):
            continue
        path = project_anchored(str(value), project_path)
        if path != value:
            anchored = {**anchored, section: {**settings, setting: path}}
    return anchored


class ProjectPathParamsHook:
    """Makes the relative paths of :data:`PATH_PARAMETERS` absolute from the project folder
    (``context.project_path``) once the context is created, before any parameter is read."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        try:
            parameters = context.config_loader["parameters"]
        except (KeyError, MissingConfigException):
            return
        anchored = anchored_parameters(parameters, context.project_path)
        if anchored is not parameters:
            # a key set on the loader is handed back as it is, not read again from conf/
            context.config_loader["parameters"] = anchored
