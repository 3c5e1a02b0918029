"""The ``engine`` parameters (conf/base/parameters_engine.yml) as types.

:class:`EngineParams` is what a node that can hand work to a cluster takes for
``params:engine``; Kedro validates the YAML against it before any node runs, and an error
names the bad setting (``engine.dask.chunk_size``). ``EngineParams.engine()`` gives the
domains the same settings as a plain :class:`insta_kedro.engine.Engine`.
"""

from typing import Literal

from pydantic import Field

from insta_kedro.kedro_ext.parameters import Count, NonNegativeCount, Section, Settings

EngineName = Literal["local", "dask"]
"""Where the heavy work runs: ``local`` (in the ``kedro run`` process) or ``dask`` (on a Dask
cluster)."""

Stage = Literal["image_features", "text_features", "clustering"]
"""The pipelines that hand work to the engine."""


class DaskParams(Settings):
    """The Dask cluster: its scheduler's ``address`` (null: the ``DASK_SCHEDULER_ADDRESS``
    environment variable, else a ``LocalCluster`` with one single-threaded worker per core),
    the ``chunk_size`` (items per task, >= 1), the ``chunk_sizes`` of the stages (a
    :data:`Stage` → items per task, >= 1) that take another than ``chunk_size``, and the
    ``retries`` of a failed task and of lost shared inputs (>= 0), and the seconds a stage
    waits for a first worker to join a scheduler that has none, and for each worker to answer
    as it starts (``wait_for_workers``, >= 1)."""

    address: str | None
    chunk_size: Count
    chunk_sizes: dict[Stage, Count] = Field(default_factory=dict)
    retries: NonNegativeCount
    wait_for_workers: Count


class EngineParams(Section):
    """``params:engine``: the engine's ``name`` (:data:`EngineName`) and its ``dask``
    settings (:class:`DaskParams`)."""

    SECTION = "engine"

    name: EngineName
    dask: DaskParams

    def engine(self, stage: Stage | None = None):
        """These settings as the domains take them (an :class:`insta_kedro.engine.Engine`),
        for ``stage``: with its items per task when ``dask.chunk_sizes`` names it."""
        from insta_kedro.engine.engine import Engine

        return Engine(
            name=self.name,
            address=self.dask.address,
            chunk_size=self.dask.chunk_sizes.get(stage, self.dask.chunk_size),
            retries=self.dask.retries,
            wait_for_workers=self.dask.wait_for_workers,
        )
