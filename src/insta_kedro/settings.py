"""Project settings: configuration loader, hooks and session store."""

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from insta_kedro.kedro_ext import (
    ConfigEnvironmentCheckHook,
    DaskClientClosingHook,
    ImageEncoderTagHook,
    InstagramCredentialsHook,
    KedroCommandTagHook,
    MissingInputsHook,
    MlflowRunClosingHook,
    ProjectPathParamsHook,
    ProjectStoreHook,
    RunErrorTagHook,
    RunLivenessHook,
    RuntimeParamsCheckHook,
    TrackingServerCheckHook,
    TypedParamsMlflowHook,
)

HOOKS = (
    ConfigEnvironmentCheckHook(),
    RuntimeParamsCheckHook(),
    ProjectPathParamsHook(),
    ProjectStoreHook(),
    TrackingServerCheckHook(),
    InstagramCredentialsHook(),
    MlflowRunClosingHook(),
    RunLivenessHook(),
    MissingInputsHook(),
    TypedParamsMlflowHook(),
    KedroCommandTagHook(),
    RunErrorTagHook(),
    ImageEncoderTagHook(),
    DaskClientClosingHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "parameters": ["parameters*", "parameters*/**", "**/parameters*"],
        "mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"],
    },
    # conf/local/parameters_*.yml overrides single keys (`ingestion: {profiles: [...]}`)
    # and keeps the others of conf/base, instead of replacing the whole `ingestion` entry.
    "merge_strategy": {"parameters": "soft"},
    # `${oc.env:MLFLOW_TRACKING_URI,...}` in mlflow.yml: a server when the variable says so.
    "custom_resolvers": {"oc.env": oc.env},
}
