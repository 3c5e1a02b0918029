"""Fail early, and say what to run, when a pipeline's persisted inputs are missing.

``kedro run --pipelines=caption_model`` reads ``posts`` and ``image_features`` from disk.
When a file is not there, Kedro's own error only names the file; this hook stops the run
before any node and names the pipeline that writes it, e.g.::

    caption_model needs dataset 'posts' (.../posts.parquet), which does not exist yet:
    run `kedro run --pipelines=ingestion` first.

Register it in ``settings.py``: ``HOOKS = (..., MissingInputsHook())``.
"""

import importlib
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline

from insta_kedro.pipeline_registry import PIPELINE_ORDER


class MissingInputError(RuntimeError):
    """A persisted input of the run does not exist."""


def producing_pipelines(dataset: str, pipelines: dict[str, Pipeline]) -> list[str]:
    """Names of the registered pipelines (``__default__`` aside) that write ``dataset``."""
    return sorted(
        name
        for name, pipeline in pipelines.items()
        if name != "__default__" and dataset in pipeline.all_outputs()
    )


def project_pipelines() -> dict[str, Pipeline]:
    """Every pipeline of the project, whatever the run asked for.

    (During ``kedro run --pipelines=X`` Kedro's registry loads only ``X``.)
    """
    found = {}
    for name in PIPELINE_ORDER:
        try:
            module = importlib.import_module(f"insta_kedro.pipelines.{name}")
        except ModuleNotFoundError:
            continue
        found[name] = module.create_pipeline()
    return found


def _missing_inputs(pipeline: Pipeline, catalog: Any) -> list[tuple[str, Any]]:
    """The persisted free inputs of ``pipeline`` that do not exist (optional ones aside)."""
    missing = []
    for name in sorted(pipeline.inputs()):
        if name.startswith("params:") or name == "parameters" or name not in catalog:
            continue
        dataset = catalog.get(name) if hasattr(catalog, "get") else catalog._get_dataset(name)
        if isinstance(dataset, MemoryDataset) or dataset.exists():
            continue
        if getattr(dataset, "optional", False):
            continue  # loads empty: the nodes that need it say so (e.g. caption_model)
        missing.append((name, dataset))
    return missing


def pipelines_to_run_first(
    datasets: list[str], catalog: Any, pipelines: dict[str, Pipeline]
) -> list[str]:
    """The pipelines that make ``datasets``, with those that make their own missing inputs,
    in the order of the project (empty when no pipeline writes them)."""
    needed: set[str] = set()
    pending = list(datasets)
    while pending:
        producers = producing_pipelines(pending.pop(), pipelines)
        for name in producers[:1]:
            if name not in needed:
                needed.add(name)
                pending += [missing for missing, _ in _missing_inputs(pipelines[name], catalog)]
    order = {name: i for i, name in enumerate(PIPELINE_ORDER)}
    return sorted(needed, key=lambda name: (order.get(name, len(order)), name))


def check_inputs_exist(
    pipeline: Pipeline,
    catalog: Any,
    pipelines: dict[str, Pipeline] | None = None,
    run_name: str = "this run",
) -> None:
    """Raise :class:`MissingInputError` when persisted free inputs are missing: it names the
    first, counts the others and says which pipelines make them all.

    ``pipelines`` (default: every pipeline of the project registry) are searched for the
    ones that write the missing datasets and, in turn, their own missing inputs.
    """
    missing = _missing_inputs(pipeline, catalog)
    if not missing:
        return
    name, dataset = missing[0]
    if pipelines is None:
        pipelines = project_pipelines()
    names = [n for n, _ in missing]
    first = pipelines_to_run_first(names, catalog, pipelines)
    unmade = [n for n in names if not producing_pipelines(n, pipelines)]
    hints = [f"`kedro run --pipelines={','.join(first)}`"] if first else []
    if unmade:
        hints.append(f"the pipeline that writes {', '.join(map(repr, unmade))}")
    hint = " and ".join(hints)
    where = getattr(dataset, "_filepath", None) or dataset
    others = [n for n, _ in missing[1:]]
    also = f" and {len(others)} more ({', '.join(others)})" if others else ""
    exist = "do not exist" if others else "does not exist"
    raise MissingInputError(
        f"{run_name} needs dataset '{name}' ({where}){also}, which {exist} yet: run {hint} first."
    )


class MissingInputsHook:
    """Stops a run whose persisted inputs are missing, before any MLflow run is opened."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog) -> None:
        names = run_params.get("pipeline_names") or [run_params.get("pipeline_name")]
        run_name = ",".join(n for n in names if n) or "__default__"
        check_inputs_exist(pipeline, catalog, run_name=run_name)
