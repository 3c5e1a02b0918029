"""Fail early, and say what to run, when a pipeline's persisted inputs are missing.

``kedro run --pipelines=caption_model`` reads ``posts`` and ``image_features`` from disk.
When a file is not there, Kedro's own error only names the file; this hook stops the run
before any node and names the pipeline that writes it, e.g.::

    caption_model needs dataset 'posts' (.../posts.parquet), which does not exist yet:
    run `kedro run --pipelines=ingestion` first.

A run of some nodes only (``--nodes``, ``--from-nodes``, ``--to-nodes``, ``--tags``) may need a
dataset that lives in memory only, made by a node the run leaves out; Kedro's own error names
no node. The hook names the node that makes it, and how to add it to the run::

    this run needs dataset 'caption_examples', which lives in memory only, during the run
    that makes it; this run leaves out the node that makes it: 'prepare_caption_examples'
    (pipeline caption_model). Add it to the run (`--from-nodes=prepare_caption_examples`), or
    run the whole pipeline (`kedro run --pipelines=caption_model`).

Register it in ``settings.py``: ``HOOKS = (..., MissingInputsHook())``.
"""

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline

from insta_kedro.pipeline_registry import PIPELINE_ORDER, project_pipelines


class MissingInputError(RuntimeError):
    """A persisted input of the run does not exist."""


def producing_pipelines(dataset: str, pipelines: dict[str, Pipeline]) -> list[str]:
    """Names of the registered pipelines (``__default__`` aside) that write ``dataset``."""
    return sorted(
        name
        for name, pipeline in pipelines.items()
        if name != "__default__" and dataset in pipeline.all_outputs()
    )


def _absent_inputs(pipeline: Pipeline, catalog: Any) -> tuple[list[str], list[tuple[str, Any]]]:
    """The free inputs of ``pipeline`` that hold no data, in one pass: those that live in
    memory only (no catalog entry, or an empty ``MemoryDataset``: a node outside ``pipeline``
    makes them in a run), and the persisted ones that do not exist (optional ones aside)."""
    in_memory, missing = [], []
    for name in sorted(pipeline.inputs()):
        if name.startswith("params:") or name == "parameters":
            continue
        dataset = catalog.get(name) if name in catalog else None
        if dataset is None or isinstance(dataset, MemoryDataset):
            if dataset is None or not dataset.exists():
                in_memory.append(name)
        elif not dataset.exists() and not getattr(dataset, "optional", False):
            # an optional one loads empty: the nodes that need it say so (e.g. caption_model)
            missing.append((name, dataset))
    return in_memory, missing


def producing_nodes(dataset: str, pipelines: dict[str, Pipeline]) -> list[tuple[str, str]]:
    """``(pipeline, node)`` names of the nodes of ``pipelines`` (``__default__`` aside) that
    write ``dataset``."""
    return sorted(
        (name, node.name)
        for name, pipeline in pipelines.items()
        if name != "__default__"
        for node in pipeline.nodes
        if dataset in node.outputs
    )


def _memory_input_message(names: list[str], pipelines: dict[str, Pipeline], run_name: str) -> str:
    """Why a run that needs the in-memory datasets ``names`` cannot start, and what to run."""
    makers = {name: producing_nodes(name, pipelines)[:1] for name in names}
    nodes = list(dict.fromkeys(found[0] for found in makers.values() if found))
    unmade = [name for name, found in makers.items() if not found]
    one = len(names) == 1
    message = (
        f"{run_name} needs dataset{'' if one else 's'} {', '.join(map(repr, names))}, which"
        f" {'lives' if one else 'live'} in memory only, during the run that makes"
        f" {'it' if one else 'them'}"
    )
    hints = []
    if nodes:
        several = len(nodes) > 1
        listed = ", ".join(f"'{node}' (pipeline {pipeline})" for pipeline, node in nodes)
        hints.append(
            f"this run leaves out the node{'s' if several else ''} that make"
            f"{'' if several else 's'} {'them' if several or not one else 'it'}: {listed}. Add"
            f" {'them' if several else 'it'} to the run"
            f" (`--from-nodes={','.join(node for _, node in nodes)}`), or run the whole"
            f" pipeline (`kedro run --pipelines={','.join(dict.fromkeys(p for p, _ in nodes))}`)"
        )
    if unmade:
        hints.append(f"no node of the project makes {', '.join(map(repr, unmade))}")
    return f"{message}; {'; '.join(hints)}."


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
                pending += [missing for missing, _ in _absent_inputs(pipelines[name], catalog)[1]]
    order = {name: i for i, name in enumerate(PIPELINE_ORDER)}
    return sorted(needed, key=lambda name: (order.get(name, len(order)), name))


def check_inputs_exist(
    pipeline: Pipeline,
    catalog: Any,
    pipelines: dict[str, Pipeline] | None = None,
    run_name: str = "this run",
) -> None:
    """Raise :class:`MissingInputError` when free inputs are missing. In-memory ones (a node
    the run leaves out makes them) come first: the error names the nodes that make them.
    Otherwise it names the first missing persisted input, counts the others and says which
    pipelines make them all.

    ``pipelines`` (default: every pipeline of the project registry) are searched for the
    ones that write the missing datasets and, in turn, their own missing inputs.
    """
    in_memory, missing = _absent_inputs(pipeline, catalog)
    if not (in_memory or missing):
        return
    if pipelines is None:
        pipelines = project_pipelines()
    if in_memory:
        raise MissingInputError(_memory_input_message(in_memory, pipelines, run_name))
    name, dataset = missing[0]
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


NODE_FILTERS = (
    "tags",
    "from_nodes",
    "to_nodes",
    "node_names",
    "from_inputs",
    "to_outputs",
    "namespaces",
)
"""The ``run_params`` of a run that keeps only some nodes of its pipelines."""


def run_name_of(run_params: dict[str, Any]) -> str:
    """How an error names the run of ``run_params``: its pipelines, or "this run" when it
    keeps only some of their nodes."""
    if any(run_params.get(name) for name in NODE_FILTERS):
        return "this run"
    names = run_params.get("pipeline_names") or [run_params.get("pipeline_name")]
    return ",".join(n for n in names if n) or "__default__"


class MissingInputsHook:
    """Stops a run whose inputs are missing, before any MLflow run is opened."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog) -> None:
        check_inputs_exist(pipeline, catalog, run_name=run_name_of(run_params))
