"""Where the heavy work runs (``engine``): in the ``kedro run`` process, or as chunks of work
on a Dask cluster (``map_chunks``, ``for_each_result``); post tables read part by part
(``tables``); and the typed ``engine`` parameters (``params``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap (Dask is imported only when a run uses it).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "engine": [
            "ADDRESS_VARIABLE",
            "ClusterLostTasks",
            "LOCAL",
            "Engine",
            "NoWorkers",
            "WorkersKilled",
            "WorkersNotAnswering",
            "WorkersRunOtherCode",
            "ask_workers",
            "bounded_rows",
            "check_same_code",
            "chunked",
            "code_fingerprint",
            "close_clients",
            "dask_client",
            "for_each_result",
            "map_chunks",
            "wait_for_a_worker",
            "workers_with",
        ],
        "tables": [
            "Table",
            "column_names",
            "list_lengths",
            "list_rows",
            "read_columns",
            "row_batches",
            "row_count",
        ],
        "params": [
            "DaskParams",
            "EngineName",
            "EngineParams",
        ],
    },
)
