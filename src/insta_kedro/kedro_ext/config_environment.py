"""Stop a run whose configuration environment has no folder, naming it.

``kedro run --env=prod`` (or ``KEDRO_ENV=prod``) without a folder ``conf/prod``: Kedro's
configuration loader raises ``MissingConfigException`` for it, which kedro-mlflow catches when it
reads ``mlflow.yml``, going on with MLflow's defaults instead of ``conf/base/mlflow.yml``. The run
then stopped on MLflow's refusal of a file store (``./mlruns``), naming neither the environment
nor its folder. :class:`ConfigEnvironmentCheckHook` stops it first, and names the environments
there are.
"""

from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl


class ConfigEnvironmentError(ValueError):
    """The run's configuration environment has no folder in the configuration source."""


def missing_environment(config_loader: Any) -> str | None:
    """The run's environment (``--env``, else the default run environment) when the local
    configuration folder has no folder of that name; None when it has one, when it is the base
    environment, or when the configuration is no local folder (Kedro checks those itself)."""
    env = config_loader.env or config_loader.default_run_env
    conf_source = Path(config_loader.conf_source)
    if not env or env == config_loader.base_env or not conf_source.is_dir():
        return None
    return None if (conf_source / env).is_dir() else env


def missing_environment_message(env: str, config_loader: Any) -> str:
    """What to tell of the environment ``env`` that has no folder, with those there are."""
    conf_source = Path(config_loader.conf_source)
    base = config_loader.base_env
    others = sorted(p.name for p in conf_source.iterdir() if p.is_dir() and p.name != base)
    return (
        f"the configuration environment '{env}' (`--env={env}` or KEDRO_ENV) has no folder"
        f" {conf_source / env}. The environments of {conf_source} are:"
        f" {', '.join([base, *others])}. Create the folder (its files override those of"
        f" {base}), or name one of these."
    )


class ConfigEnvironmentCheckHook:
    """Stops a run whose configuration environment has no folder, before any plugin reads its
    configuration."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        env = missing_environment(context.config_loader)
        if env is not None:
            raise ConfigEnvironmentError(missing_environment_message(env, context.config_loader))
