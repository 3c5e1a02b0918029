"""Refuse a ``--params`` section that the configuration does not have.

Each section's own keys are checked by its type (``kedro_ext.parameters.Section``:
``caption_model.epochz`` is refused), but Kedro adds any other top-level key to the parameters
and no node reads it: ``--params="caption_modle.epochs=2"`` would run 30 epochs without a word.
:class:`RuntimeParamsCheckHook` stops such a run before anything starts, naming the key and the
sections there are. A dotted key given to ``KedroSession.create(runtime_params=…)``
(``{"ingestion.demo.n_profiles": 2}``) is refused too: only ``kedro run --params`` splits dots,
the session API adds the key as it is, and no node reads it.
"""

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from kedro.framework.hooks import hook_impl


class UnknownParameterError(ValueError):
    """``--params`` sets a top-level key that no parameters file of the run declares."""


def unknown_sections(runtime_params: Mapping[str, Any], configured: Iterable[str]) -> list[str]:
    """The top-level keys of ``runtime_params`` that are not among ``configured``, sorted."""
    return sorted(set(runtime_params) - set(configured))


class DottedParameterError(ValueError):
    """``KedroSession.create(runtime_params=…)`` got a dotted key, which it does not split."""


def dotted_keys_message(runtime_params: Mapping[str, Any]) -> str | None:
    """What to tell of the dotted top-level keys of ``runtime_params``
    (``{"ingestion.demo.n_profiles": 2}``), with the nested form that works; None without any.
    """
    dotted = sorted(key for key in runtime_params if "." in key)
    if not dotted:
        return None
    nested = []
    for key in dotted:
        text = repr(runtime_params[key])
        for part in reversed(key.split(".")):
            text = f"{{{part!r}: {text}}}"
        nested.append(text)
    return (
        f"runtime_params has the dotted keys {', '.join(map(repr, dotted))}: "
        "KedroSession.create(runtime_params=...) adds a key as it is (only `kedro run "
        "--params` splits dots), so no node would read them. Nest them instead: "
        f"{', '.join(nested)}."
    )


def unknown_sections_message(unknown: list[str], configured: Iterable[str]) -> str:
    """What to tell of the ``--params`` keys ``unknown``, with the nearest of ``configured``."""
    sections = sorted(configured)
    guesses = []
    for key in unknown:
        near = difflib.get_close_matches(key, sections, n=1)
        guesses.append(f"'{key}' (did you mean '{near[0]}'?)" if near else f"'{key}'")
    return (
        f"--params sets {', '.join(guesses)}, which no parameters file declares, so no node"
        f" would read {'it' if len(unknown) == 1 else 'them'}. The parameters are:"
        f" {', '.join(sections)} (conf/base/parameters*.yml and those of the run's"
        " environment; declare a new key there)."
    )


def configured_sections(config_loader: Any) -> list[str]:
    """The top-level keys of the parameters files ``config_loader`` reads, without the
    run's ``--params``: the same loader's settings and environment, with no runtime params."""
    from kedro.framework.project import settings

    files_only = settings.CONFIG_LOADER_CLASS(
        conf_source=config_loader.conf_source,
        env=config_loader.env,
        **settings.CONFIG_LOADER_ARGS,
    )
    return list(files_only["parameters"])


class RuntimeParamsCheckHook:
    """Stops a run whose ``--params`` set a top-level key the parameters files do not have."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        runtime = context.config_loader.runtime_params
        if not runtime:
            return
        dotted = dotted_keys_message(runtime)
        if dotted:
            raise DottedParameterError(dotted)
        configured = configured_sections(context.config_loader)
        unknown = unknown_sections(runtime, configured)
        if unknown:
            raise UnknownParameterError(unknown_sections_message(unknown, configured))
