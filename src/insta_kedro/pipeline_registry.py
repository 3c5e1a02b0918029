"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

PIPELINE_ORDER = (
    "ingestion",
    "image_features",
    "caption_model",
    "text_features",
    "fusion",
    "clustering",
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline folder; ``__default__`` runs them all.

    Kedro orders nodes by their dataset dependencies, so the sum of the
    pipelines runs in data-flow order (ingestion first, clustering last).
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipelines[name] for name in PIPELINE_ORDER if name in pipelines), Pipeline([])
    )
    return pipelines
