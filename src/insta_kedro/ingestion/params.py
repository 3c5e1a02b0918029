"""The ``ingestion`` parameters (conf/base/parameters_ingestion.yml) as types.

:class:`IngestionParams` is what the ingestion pipeline's nodes take for
``params:ingestion``; Kedro validates the YAML against it before any node runs, and an error
names the bad setting (``ingestion.source``). The domain functions of this package take the
same settings as plain values.
"""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from insta_kedro.kedro_ext.parameters import (
    Count,
    Integer,
    NonNegativeCount,
    Number,
    Section,
    Seed,
    Settings,
)

Source = Literal["demo", "folder", "instaloader"]
"""Where the posts come from: the generated demo, an existing instaloader download, or a
live download."""


class DemoParams(Settings):
    """The demo generator's settings: ``seed`` (>= 0), ``n_profiles`` and
    ``posts_per_profile`` (each >= 1) and ``image_size`` (pixels, >= 32)."""

    seed: Seed
    n_profiles: Count
    posts_per_profile: Count
    image_size: Annotated[Integer, Field(ge=32)]


Seconds = Annotated[Number, Field(gt=0.0)]
Days = Annotated[Number, Field(ge=0.0)]
Update = Literal["all", "new_posts"]
"""``all``: walk each profile's posts up to the cap, skipping those on disk; ``new_posts``:
only the posts newer than the newest one already downloaded."""


class BackoffParams(Settings):
    """How long a live download waits when Instagram answers "wait" (429, or 401/403):
    ``first_wait_s`` before the first retry, times ``factor`` (>= 1) before each later one, at
    most ``max_wait_s``, each drawn between half and all of that; ``budget_s``: all waits of
    one download together, after which the rest is left for the next run. Seconds > 0."""

    first_wait_s: Seconds
    factor: Annotated[Number, Field(ge=1.0)]
    max_wait_s: Seconds
    budget_s: Seconds


class IngestionParams(Section):
    """``params:ingestion``: the ``source`` (:data:`Source`); the ``folder`` of an existing
    download (``source=folder``, where it must be set); the ``profiles`` to download
    (``source=instaloader``), ``download_follows``, ``max_follows`` (the most accounts
    read of each follow list, >= 1, or null: all) and ``follows_max_age_days`` (days a
    complete follow list is kept before it is fetched again, >= 0, or null: every run), the
    ``update`` mode (:data:`Update`) and
    the ``backoff`` (:class:`BackoffParams`); ``max_posts_per_profile`` (>= 0, or null: all);
    the ``demo_folder`` and
    ``instagram_folder`` the demo and live sources write; the ``demo`` settings
    (:class:`DemoParams`). Numbers given as a folder or a profile name are read as text."""

    SECTION = "ingestion"
    model_config = ConfigDict(coerce_numbers_to_str=True)

    source: Source
    folder: str | None
    profiles: list[str] | None
    max_posts_per_profile: NonNegativeCount | None
    download_follows: bool
    max_follows: Count | None
    follows_max_age_days: Days | None
    update: Update
    backoff: BackoffParams
    demo_folder: str
    instagram_folder: str
    demo: DemoParams

    @field_validator("folder")
    @classmethod
    def _folder_of_the_folder_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("source") == "folder" and not value:
            raise PydanticCustomError(
                "folder_not_set",
                "ingestion.source is 'folder' but ingestion.folder is not set: "
                'pass --params="ingestion.folder=<path to an instaloader download>"',
            )
        return value
