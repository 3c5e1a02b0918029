"""MLflow run tags that a user compares runs by, set after kedro-mlflow has started the run.

- :class:`ImageEncoderTagHook`: a run that reads what was made from image features (the
  features themselves, generated captions, fused features, ...) without making the features
  itself is tagged with the encoder of the ``image_features`` it builds on, as the run that
  made them was (``image_features.encoder``, ``image_features.encoder_weights``): a
  ``kedro run --pipelines=clustering`` on features of random VGG16 weights says ``random``.
- :class:`KedroCommandTagHook`: kedro-mlflow's ``kedro_command`` tag is written with the
  options of older Kedro versions (``--pipeline=a,b``, ``--node``, ``--tag``, which Kedro 1.x
  refuses) and without ``--params``, ``--runner`` or ``--env``; its ``runner`` tag is the
  runner object's repr (``<...SequentialRunner object at 0x7f...>``), different in every run.
  The hook writes both again: the command as Kedro 1.x takes it, with every option of the
  run, and the runner as ``--runner`` takes it.
- :class:`RunErrorTagHook`: a run that fails is ``FAILED`` in MLflow, and the error stayed in
  the terminal only; the hook tags it with the error (``error``) and the node that raised it
  (``failed_node``), so that the MLflow UI says why.

Register them in ``settings.py``; the first two run after kedro-mlflow's
``before_pipeline_run``, the last before kedro-mlflow ends the failed run.
"""

import json
import logging
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from omegaconf import OmegaConf

from insta_kedro.pipeline_registry import project_pipelines

logger = logging.getLogger(__name__)

IMAGE_FEATURES = "image_features"

_RUNNER_REPR = re.compile(r"<(?P<path>[\w.]+) object at 0x[0-9a-fA-F]+>")
_KEDRO_RUNNERS = "kedro.runner."
DEFAULT_RUNNER = "SequentialRunner"

# run_params key -> `kedro run` option taking a comma-separated list, in the order written
_LIST_OPTIONS = (
    ("pipeline_names", "--pipelines"),
    ("node_names", "--nodes"),
    ("from_nodes", "--from-nodes"),
    ("to_nodes", "--to-nodes"),
    ("from_inputs", "--from-inputs"),
    ("to_outputs", "--to-outputs"),
    ("tags", "--tags"),
    ("namespaces", "--namespaces"),
)


def image_feature_inputs(pipeline: Pipeline, pipelines: Mapping[str, Pipeline]) -> list[str]:
    """The free inputs of ``pipeline`` (what it reads, made by an earlier run) that are
    ``image_features`` or made from it by the nodes of ``pipelines``; empty when ``pipeline``
    makes ``image_features`` itself (its run is tagged by the encoding), sorted."""
    if IMAGE_FEATURES in pipeline.all_outputs():
        return []
    everything = sum(pipelines.values(), Pipeline([]))
    if IMAGE_FEATURES not in everything.all_inputs():
        return []
    derived = everything.from_inputs(IMAGE_FEATURES).all_outputs() | {IMAGE_FEATURES}
    return sorted(pipeline.inputs() & derived)


def stored_encoders(catalog: Any) -> list[str]:
    """The encoders of the ``image_features`` that ``catalog`` holds
    (``vision.used_encoders``); empty when it has none or they were never made."""
    from insta_kedro.vision import used_encoders

    dataset = catalog.get(IMAGE_FEATURES) if IMAGE_FEATURES in catalog else None
    if dataset is None or not dataset.exists():
        return []
    return used_encoders(dataset.load())


class ImageEncoderTagHook:
    """Tags the active MLflow run with the encoder of the image features its inputs come
    from, where the run reads them (or what was made of them) without making them."""

    @hook_impl(trylast=True)  # after kedro-mlflow started the run
    def before_pipeline_run(self, pipeline: Pipeline, catalog: Any) -> None:
        import mlflow

        from insta_kedro.vision import encoder_warning, tag_active_run

        if mlflow.active_run() is None:  # tracking disabled for this pipeline
            return
        inputs = image_feature_inputs(pipeline, project_pipelines())
        if not inputs:
            return
        encoders = stored_encoders(catalog)
        warning = encoder_warning(encoders)
        if warning:
            logger.warning("This run reads %s. %s", ", ".join(inputs), warning)
        tag_active_run(encoders)


def runner_option(runner: str | None) -> str:
    """The ``--runner`` value of the runner that run_params name: ``ThreadRunner`` for
    ``<kedro.runner.thread_runner.ThreadRunner object at 0x...>`` (a runner of
    ``kedro.runner``), the class's full path for another runner's repr,
    ``SequentialRunner`` for none (``None``, ``"None"``: a ``session.run()`` without one runs
    Kedro's default), else ``runner``."""
    if runner is None or runner in ("", "None"):
        return DEFAULT_RUNNER
    match = _RUNNER_REPR.fullmatch(runner.strip())
    if match is None:
        return runner
    path = match["path"]
    return path.rsplit(".", 1)[-1] if path.startswith(_KEDRO_RUNNERS) else path


def _flat(params: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``(dotted.key, value)`` for every leaf of nested ``params``."""
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _as_read_back(value: Any) -> str:
    """``value`` written so that ``--params`` reads it back as it is (Kedro reads each value
    with OmegaConf): a text as it is where that reads back the same text, else in JSON (a
    number, ``true``, ``null``, a text such as ``"2"`` in quotes)."""
    if isinstance(value, str):
        read = OmegaConf.to_container(OmegaConf.from_dotlist([f"key={value}"]))["key"]
        if read == value:
            return value
    return json.dumps(value, ensure_ascii=False)


def params_option(runtime_params: Mapping[str, Any]) -> str:
    """``runtime_params`` as ``--params`` takes them: ``a.b=1,c=text`` (each value as
    :func:`_as_read_back` writes it)."""
    return ",".join(f"{key}={_as_read_back(value)}" for key, value in _flat(runtime_params))


def kedro_command(run_params: Mapping[str, Any]) -> str:
    """The ``kedro run`` command (Kedro 1.x options, quoted for a POSIX shell) that repeats
    the run of ``run_params`` (Kedro's ``before_pipeline_run`` record): its pipelines, node
    selection, environment, runner, load versions and ``--params``; options left at their
    defaults are left out."""
    words = ["kedro", "run"]
    words += [
        f"{option}={','.join(run_params[key])}"
        for key, option in _LIST_OPTIONS
        if run_params.get(key)
    ]
    if run_params.get("env"):
        words.append(f"--env={run_params['env']}")
    runner = runner_option(run_params.get("runner"))
    if runner != DEFAULT_RUNNER:
        words.append(f"--runner={runner}")
    if run_params.get("load_versions"):
        versions = ",".join(f"{k}:{v}" for k, v in run_params["load_versions"].items())
        words.append(f"--load-versions={versions}")
    if run_params.get("only_missing_outputs"):
        words.append("--only-missing-outputs")
    if run_params.get("runtime_params"):
        words.append(f"--params={params_option(run_params['runtime_params'])}")
    return shlex.join(words)


def in_run_order(names: Iterable[str], registered: Iterable[str]) -> list[str]:
    """``names`` (pipeline names) in the order of ``registered`` (the project's pipelines, in
    the order ``kedro run`` runs them), each once; a name not registered comes after, in the
    order given."""
    order = {name: index for index, name in enumerate(registered)}
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=lambda name: (order.get(name, len(order)), unique.index(name)))


class KedroCommandTagHook:
    """Writes kedro-mlflow's ``kedro_command``, ``runner`` and ``pipeline_names`` tags again,
    as Kedro 1.x takes them (:func:`kedro_command`, :func:`runner_option`), and names the
    run after its pipelines in the order they run.

    ``kedro run --pipelines=a,b`` hands the names on in a set's order, different from one
    process to the next: kedro-mlflow named the same command's runs ``a+b`` or ``b+a``.
    A run name set in ``mlflow.yml`` is kept.
    """

    @hook_impl(trylast=True)  # after kedro-mlflow wrote its own
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        import mlflow

        run = mlflow.active_run()
        if run is None:  # tracking disabled for this pipeline
            return
        names = run_params.get("pipeline_names") or []
        ordered = in_run_order(names, project_pipelines())
        mlflow.set_tags(
            {
                "kedro_command": kedro_command({**run_params, "pipeline_names": ordered}),
                "runner": runner_option(run_params.get("runner")),
            }
        )
        if ordered != names:
            mlflow.set_tag("pipeline_names", str(ordered))
            if run.info.run_name == "+".join(names):  # kedro-mlflow's name
                mlflow.MlflowClient().update_run(run.info.run_id, name="+".join(ordered))


ERROR_TAG = "error"
FAILED_NODE_TAG = "failed_node"


def error_summary(error: BaseException) -> str:
    """``error`` as ``Type: message``, cut to the longest value an MLflow tag holds."""
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    text = f"{type(error).__name__}: {error}"
    if len(text) <= MAX_TAG_VAL_LENGTH:
        return text
    return text[: MAX_TAG_VAL_LENGTH - 1] + "…"


class RunErrorTagHook:
    """Tags the MLflow run of a failed pipeline with its error and the node that raised it
    (:data:`ERROR_TAG`, :data:`FAILED_NODE_TAG`), before kedro-mlflow ends it as FAILED."""

    def __init__(self) -> None:
        self._failed_nodes: dict[int, str] = {}

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._failed_nodes = {}

    @hook_impl
    def on_node_error(self, error: Exception, node: Any) -> None:
        self._failed_nodes[id(error)] = node.name

    @hook_impl(tryfirst=True)  # before kedro-mlflow ends the run
    def on_pipeline_error(self, error: Exception) -> None:
        import mlflow
        from mlflow.exceptions import MlflowException

        if mlflow.active_run() is None:  # tracking disabled for this pipeline
            return
        tags = {ERROR_TAG: error_summary(error)}
        node = self._failed_nodes.get(id(error))
        if node is not None:
            tags[FAILED_NODE_TAG] = node
        try:
            mlflow.set_tags(tags)
        except MlflowException as tag_error:  # the run's own error is the one to raise
            logger.warning("The MLflow run could not be tagged with its error: %s", tag_error)
