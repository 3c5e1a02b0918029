"""Incremental cache of image features, keyed by image sha256 and encoder configuration.

Layout under the cache root (``data/04_feature/image_feature_cache/`` by default)::

    <encoder cache key>/            one folder per configuration (``EncoderSpec.cache_key``)
        config.json                 the configuration in words, checked on open
        part-<time>-<id>.parquet    image_sha256, feature, labels, probabilities, error

A run reads only the rows of the hashes it asks for and appends what it computed as a new
part file (written to a temporary name, then renamed: an interrupted run leaves whole parts
only, and keeps what it computed). A changed configuration has another key, so another
folder: stale features are never served. ``compact`` merges the parts when they pile up.

Why a plain module and not a Kedro dataset: the node reads and writes the cache in the same
run, a few rows at a time; a Kedro dataset is loaded whole before the node and saved whole
after it, and a dataset that is both input and output of one node is a cycle in the DAG.
"""

import json
import logging
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

CACHE_SCHEMA = pa.schema(
    [
        ("image_sha256", pa.string()),
        ("feature", pa.list_(pa.float32())),
        ("labels", pa.list_(pa.string())),
        ("probabilities", pa.list_(pa.float32())),
        ("error", pa.string()),  # images that cannot be decoded are remembered too
    ]
)


class FeatureCache:
    """Features of one encoder configuration, by image sha256.

    Example:
        >>> cache = FeatureCache("data/04_feature/image_feature_cache", spec.cache_key,
        ...                      spec.describe())
        >>> known = cache.get(["9f86d0…", "60303a…"])   # frame of the hashes it holds
        >>> cache.put(new_rows)                         # columns of CACHE_SCHEMA
    """

    def __init__(self, root: str | Path, key: str, config: dict):
        self.root = Path(root)
        self.folder = self.root / key
        self.folder.mkdir(parents=True, exist_ok=True)
        self.unreadable_parts = 0
        config_file = self.folder / "config.json"
        stored = self._read_config(config_file)
        if stored is None:
            # written under a temporary name, then renamed: a reader never sees half a file
            partial = self.folder / f".config.json.{uuid.uuid4().hex[:8]}.tmp"
            partial.write_text(json.dumps(config, indent=2, sort_keys=True))
            partial.replace(config_file)
        elif stored != json.loads(json.dumps(config)):
            raise ValueError(
                f"feature cache {self.folder} holds another configuration: {stored} "
                f"!= {config}; remove the folder"
            )

    @staticmethod
    def _read_config(config_file: Path) -> dict | None:
        """The stored configuration; None when absent or unreadable (it is written again: the
        folder's name, a hash of the configuration, already says which one it holds)."""
        if not config_file.exists():
            return None
        try:
            return json.loads(config_file.read_text())
        except (OSError, ValueError) as error:
            logger.warning("feature cache: unreadable %s written again (%s)", config_file, error)
            return None

    def parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def _read_part(self, part: Path, hashes: pa.Array | None) -> pa.Table | None:
        try:
            table = pq.read_table(part, schema=CACHE_SCHEMA)
        except FileNotFoundError:  # merged meanwhile by another run's compact
            return None
        except (OSError, pa.ArrowException) as error:
            self.unreadable_parts += 1
            logger.warning("feature cache: ignoring unreadable part %s (%s)", part, error)
            return None
        if hashes is not None:
            table = table.filter(pc.is_in(table["image_sha256"], value_set=hashes))
        return table

    def get(self, image_sha256s: Iterable[str]) -> pd.DataFrame:
        """The cached rows for these hashes (one per hash; absent hashes are simply missing)."""
        hashes = pa.array(sorted(set(image_sha256s)), type=pa.string())
        tables = [CACHE_SCHEMA.empty_table()]
        if len(hashes):
            tables += [
                t for part in self.parts() if (t := self._read_part(part, hashes)) is not None
            ]
        frame = pa.concat_tables(tables).to_pandas()
        return frame.drop_duplicates("image_sha256", keep="last").reset_index(drop=True)

    def put(self, rows: pd.DataFrame) -> Path | None:
        """Append rows (columns of ``CACHE_SCHEMA``) as a new part file."""
        if rows.empty:
            return None
        table = pa.Table.from_pandas(
            rows[CACHE_SCHEMA.names], schema=CACHE_SCHEMA, preserve_index=False
        )
        name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        temporary = self.folder / f".{name}.tmp"
        pq.write_table(table, temporary)
        temporary.rename(self.folder / name)
        return self.folder / name

    def compact(self, max_parts: int = 32) -> None:
        """Merge all parts into one when there are more than ``max_parts``.

        Another run may merge the same parts at the same time: a part it has already removed
        is passed over (its rows are in that run's merged part, written before the removal).
        """
        parts = self.parts()
        if len(parts) <= max_parts:
            return
        tables = [t for part in parts if (t := self._read_part(part, None)) is not None]
        if not tables:  # all merged meanwhile by another run
            return
        merged = pa.concat_tables(tables).to_pandas().drop_duplicates("image_sha256", keep="last")
        self.put(merged)
        for part in parts:
            part.unlink(missing_ok=True)
        logger.info("feature cache: merged %d parts in %s", len(parts), self.folder)

    def __len__(self) -> int:
        return sum(pq.ParquetFile(part).metadata.num_rows for part in self.parts())
