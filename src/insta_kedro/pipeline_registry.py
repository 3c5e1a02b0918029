"""Project pipelines."""

import importlib

from kedro.pipeline import Pipeline

PIPELINE_ORDER = (
    "ingestion",
    "image_features",
    "caption_model",
    "text_features",
    "fusion",
    "clustering",
)


def project_pipelines() -> dict[str, Pipeline]:
    """Every pipeline of :data:`PIPELINE_ORDER`, by name: what ``create_pipeline()`` of its
    package ``insta_kedro.pipelines.<name>`` returns (an import error in it is raised)."""
    return {
        name: importlib.import_module(f"insta_kedro.pipelines.{name}").create_pipeline()
        for name in PIPELINE_ORDER
    }


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline of :data:`PIPELINE_ORDER`; ``__default__`` runs them all.

    Every one is registered whichever a run asks for, so that a name that is no pipeline
    (``kedro run --pipelines=clusters``) gets Kedro's own error, which names the pipelines near
    it; Kedro's ``find_pipelines`` would raise an ImportError of a module that does not exist.
    Kedro orders nodes by their dataset dependencies, so the sum of the pipelines runs in
    data-flow order (ingestion first, clustering last).
    """
    pipelines = project_pipelines()
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
