"""What the project adds to Kedro: hooks, the check of the configuration environment, the
missing-input check, the tracking server check, the check of ``--params`` sections, relative
path parameters taken from the project folder, typed parameters logged to MLflow as their
settings, the MLflow runs whose process died marked KILLED, and the datasets (Parquet with a
kedro-viz preview, optional, lazy; Parquet, JSON, pickle, CSV, PNG, HTML and Keras files that
appear at their path whole).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "config_environment": [
            "ConfigEnvironmentCheckHook",
            "ConfigEnvironmentError",
        ],
        "hooks": [
            "DaskClientClosingHook",
            "InstagramCredentialsHook",
            "MlflowRunClosingHook",
        ],
        "optional_model_dataset": [
            "OptionalKerasModelDataset",
        ],
        "lazy_parquet_dataset": [
            "LazyParquetDataset",
        ],
        "parquet_dataset": [
            "ParquetDataset",
        ],
        "json_dataset": [
            "JSONDataset",
        ],
        "pickle_dataset": [
            "PickleDataset",
        ],
        "csv_dataset": [
            "CSVDataset",
        ],
        "html_dataset": [
            "HTMLDataset",
        ],
        "matplotlib_dataset": [
            "MatplotlibDataset",
        ],
        "keras_model_dataset": [
            "KerasModelDataset",
        ],
        "whole_files": [
            "WholeFileSave",
            "written_whole",
        ],
        "optional_parquet_dataset": [
            "OptionalParquetDataset",
        ],
        "run_tags": [
            "ImageEncoderTagHook",
            "KedroCommandTagHook",
            "RunErrorTagHook",
            "kedro_command",
        ],
        "run_liveness": [
            "RunLivenessHook",
            "end_abandoned_runs",
            "lock_run",
        ],
        "project_paths": [
            "ProjectPathParamsHook",
            "anchored_parameters",
            "project_anchored",
        ],
        "runtime_params": [
            "RuntimeParamsCheckHook",
            "UnknownParameterError",
        ],
        "tracking_server": [
            "ProjectStoreHook",
            "TrackingServerCheckHook",
            "TrackingServerError",
            "check_tracking_server",
        ],
        "typed_params": [
            "TypedParamsMlflowHook",
            "typed_params",
        ],
        "missing_inputs": [
            "MissingInputError",
            "MissingInputsHook",
            "check_inputs_exist",
        ],
    },
)
