"""Fail early, and say what to run, when a pipeline's persisted inputs are missing.

``kedro run --pipelines=caption_model`` reads ``posts`` and ``image_features`` from disk.
When a file is not there, Kedro's own error only names the file; this hook stops the run
before any node and names the pipeline that writes it, e.g.::

    caption_model needs dataset 'posts' (.../posts.parquet), which does not exist yet:
    run `kedro run --pipelines=ingestion` first.

Register it in ``settings.py``: ``HOOKS = (..., MissingInputsHook())``.
"""

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline


class MissingInputError(RuntimeError):
    """A persisted input of the run does not exist."""


def producing_pipelines(dataset: str, pipelines: dict[str, Pipeline]) -> list[str]:
    """Names of the registered pipelines (``__default__`` aside) that write ``dataset``."""
    return sorted(
        name
        for name, pipeline in pipelines.items()
        if name != "__default__" and dataset in pipeline.all_outputs()
    )


def check_inputs_exist(
    pipeline: Pipeline, catalog: Any, pipelines: dict[str, Pipeline], run_name: str = "this run"
) -> None:
    """Raise :class:`MissingInputError` for the first persisted free input that is missing."""
    for name in sorted(pipeline.inputs()):
        if name.startswith("params:") or name == "parameters" or name not in catalog:
            continue
        dataset = catalog.get(name) if hasattr(catalog, "get") else catalog._get_dataset(name)
        if isinstance(dataset, MemoryDataset) or dataset.exists():
            continue
        producers = producing_pipelines(name, pipelines)
        hint = (
            " or ".join(f"`kedro run --pipelines={p}`" for p in producers)
            if producers
            else "the pipeline that writes it"
        )
        where = getattr(dataset, "_filepath", None) or dataset
        raise MissingInputError(
            f"{run_name} needs dataset '{name}' ({where}), which does not exist yet: "
            f"run {hint} first."
        )


class MissingInputsHook:
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog) -> None:
        from kedro.framework.project import pipelines

        names = run_params.get("pipeline_names") or [run_params.get("pipeline_name")]
        run_name = ",".join(n for n in names if n) or "__default__"
        check_inputs_exist(pipeline, catalog, dict(pipelines), run_name)
