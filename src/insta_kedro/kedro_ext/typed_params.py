"""Typed parameters logged to MLflow as the settings they hold.

A node that annotates its ``params:<section>`` input with a Pydantic model gets that model
(Kedro validates the YAML against it). kedro-mlflow logs a node's ``params:`` inputs before
it runs and flattens only dicts: a model would be logged as one long text under
``<section>``, not as ``<section>.<setting>`` side by side. :class:`TypedParamsMlflowHook`
shows kedro-mlflow the model's dict instead, and hands the node its model back.
"""

import threading
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node
from pydantic import BaseModel

PARAMS_PREFIX = "params:"


def typed_params(inputs: dict[str, Any]) -> dict[str, BaseModel]:
    """The ``params:`` inputs among ``inputs`` whose value is a Pydantic model."""
    return {
        name: value
        for name, value in inputs.items()
        if name.startswith(PARAMS_PREFIX) and isinstance(value, BaseModel)
    }


class TypedParamsMlflowHook:
    """Before a node runs, its typed ``params:`` inputs read as dicts (``model_dump()``) for the
    hooks that log them (kedro-mlflow's), and as the models for the node itself.

    ``as_dicts`` runs first of every ``before_node_run`` and replaces each model in the inputs
    by its dict; ``as_models`` runs last and returns the models, which Kedro passes to the
    node in place of the dicts.
    """

    def __init__(self) -> None:
        self._models: dict[str, dict[str, BaseModel]] = {}
        self._lock = threading.Lock()

    @hook_impl(tryfirst=True, specname="before_node_run")
    def as_dicts(self, node: Node, inputs: dict[str, Any]) -> None:
        """Replace every typed ``params:`` input of ``node`` in ``inputs`` by its dict."""
        models = typed_params(inputs)
        if not models:
            return
        with self._lock:
            self._models[node.name] = models
        for name, model in models.items():
            inputs[name] = model.model_dump()

    @hook_impl(trylast=True, specname="before_node_run")
    def as_models(self, node: Node) -> dict[str, BaseModel] | None:
        """The typed ``params:`` inputs of ``node`` that :meth:`as_dicts` replaced (None when
        there were none), which Kedro gives the node instead of the dicts."""
        with self._lock:
            return self._models.pop(node.name, None)
