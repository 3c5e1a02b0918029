"""The shipped parameters of a pipeline (conf/base/parameters_<section>.yml), with some settings
changed, as the dict of the YAML and as the typed parameters Kedro hands the pipeline's nodes.
"""

import copy
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kedro.pipeline import Pipeline
from kedro.validation import ParameterValidator

from insta_kedro.kedro_ext.parameters import Section

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"

S = TypeVar("S", bound=Section)


def shipped(section: str) -> dict[str, Any]:
    """The settings of ``section`` in conf/base/parameters_<section>.yml."""
    return yaml.safe_load((CONF / f"parameters_{section}.yml").read_text())[section]


def changed(settings: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``settings`` with each dotted key of ``changes`` (``users.hdbscan.metric``)
    set to its value."""
    settings = copy.deepcopy(settings)
    for path, value in changes.items():
        *parents, name = path.split(".")
        level = settings
        for parent in parents:
            level = level[parent]
        level[name] = value
    return settings


def raw(section_type: type[Section], **changes: Any) -> dict[str, Any]:
    """The shipped settings of ``section_type``'s section as a dict, with ``changes`` (keys:
    dotted paths with ``__`` for the dots, ``users__hdbscan__metric="cosine"``)."""
    paths = {key.replace("__", "."): value for key, value in changes.items()}
    return changed(shipped(section_type.SECTION), paths)


def typed(section_type: type[S], **changes: Any) -> S:
    """:func:`raw`, validated into ``section_type``: what Kedro hands the nodes."""
    return section_type.model_validate(raw(section_type, **changes))


def validated_by_kedro(pipeline: Pipeline, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` (``{section: settings}``) validated against the type hints of
    ``pipeline``'s nodes by the validator a Kedro run uses (``KedroContext.params``): each
    section a node annotates becomes its type. ``ParameterValidationError`` when a setting
    does not validate."""
    return ParameterValidator({"pipeline": pipeline}).validate_raw_params(parameters)
