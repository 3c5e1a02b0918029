"""Incremental cache of image features, keyed by image sha256 and encoder configuration.

Layout under the cache root (``data/04_feature/image_feature_cache/`` by default)::

    <encoder cache key>/            one folder per configuration (``EncoderSpec.cache_key``)
        config.json                 the configuration in words, checked on open
        part-<time>-<id>.parquet    image_sha256, feature, labels, probabilities, error

A run reads only the rows of the hashes it asks for and appends what it computed as a new
part file (written to a temporary name, then renamed: an interrupted run leaves whole parts
only, and keeps what it computed). A changed configuration has another key, so another
folder: stale features are never served. ``compact`` merges the parts when they pile up.

Nothing here holds the features of every image at once: ``locate`` reads the small columns
(hash, labels, errors), ``CacheRows.features`` then decodes the features of the rows asked
for one row group at a time, and ``compact`` copies the parts row group by row group.

Why a plain module and not a Kedro dataset: the node reads and writes the cache in the same
run, a few rows at a time; a Kedro dataset is loaded whole before the node and saved whole
after it, and a dataset that is both input and output of one node is a cycle in the DAG.
"""

import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
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
SMALL_COLUMNS = ["image_sha256", "labels", "probabilities", "error"]
ROW_GROUP_ROWS = 4096
"""Rows per row group of a merged part: what a reader decodes at a time (64 MB of fc2)."""
OPEN_ATTEMPTS = 5
"""Times the parts are listed again when one was merged away by another run meanwhile."""


class UnreadableCacheError(RuntimeError):
    """A part's features cannot be read, though its hashes could: the message names the part
    to remove (its images are then encoded again)."""


class CacheRows:
    """Where the cached rows of some hashes lie, with their small columns in memory.

    ``parts`` are ``(path, opened file)`` pairs; ``rows`` has ``SMALL_COLUMNS`` plus ``part``
    and ``row`` (the row's place in ``parts``), one row per hash found, indexed by
    ``image_sha256``. The part files stay open, so a part that another run merges away
    meanwhile can still be read.
    """

    def __init__(
        self, parts: list[tuple[Path, pq.ParquetFile]], rows: pd.DataFrame, cached_groups: int = 4
    ):
        self.paths = [path for path, _ in parts]
        self.files = [file for _, file in parts]
        self.rows = rows
        self._starts = [
            np.cumsum([0] + [f.metadata.row_group(g).num_rows for g in range(f.num_row_groups)])
            for f in self.files
        ]
        self._groups: OrderedDict[tuple[int, int], pa.ChunkedArray] = OrderedDict()
        self._cached_groups = cached_groups

    @classmethod
    def none(cls) -> "CacheRows":
        """Rows of no hash, from no part: what a run without any image locates."""
        return cls(
            [], pd.DataFrame(columns=[*SMALL_COLUMNS, "part", "row"]).set_index("image_sha256")
        )

    def _feature_group(self, part: int, group: int) -> pa.ChunkedArray:
        """The ``feature`` column of one row group (the last few are kept: readers ask for
        the rows mostly in the order they were cached)."""
        key = (part, group)
        if key not in self._groups:
            try:
                table = self.files[part].read_row_group(group, columns=["feature"])
            except (OSError, pa.ArrowException) as error:
                raise UnreadableCacheError(
                    f"feature cache: the features of {self.paths[part]} cannot be read "
                    f"({' '.join(str(error).split())}); remove that file, and the next run "
                    "encodes its images again"
                ) from error
            self._groups[key] = table.column("feature")
            if len(self._groups) > self._cached_groups:
                self._groups.popitem(last=False)
        self._groups.move_to_end(key)
        return self._groups[key]

    def features(self, image_sha256s: Sequence[str | None]) -> pa.Array:
        """The cached features of ``image_sha256s``, in their order, as a ``list<float32>``
        array; null for a hash that is None, not found, or cached with an error."""
        hashes = pd.Series(list(image_sha256s), dtype=object)
        found = self.rows.reindex(hashes.where(hashes.notna(), ""))
        present = np.flatnonzero(found["part"].notna().to_numpy())
        parts = found["part"].to_numpy(dtype=float)[present].astype(np.int64)
        rows = found["row"].to_numpy(dtype=float)[present].astype(np.int64)
        groups = np.empty_like(rows)
        for part in np.unique(parts):
            mine = parts == part
            groups[mine] = np.searchsorted(self._starts[part], rows[mine], side="right") - 1
        pieces, order, taken = [], np.full(len(hashes), -1, dtype=np.int64), 0
        for part, group in dict.fromkeys(zip(parts.tolist(), groups.tolist(), strict=True)):
            mine = (parts == part) & (groups == group)
            offsets = rows[mine] - self._starts[part][group]
            column = self._feature_group(part, group)
            if np.array_equal(offsets, np.arange(offsets[0], offsets[0] + len(offsets))):
                pieces.append(column.slice(offsets[0], len(offsets)))  # no copy
            else:
                pieces.append(column.take(pa.array(offsets)))
            order[present[mine]] = np.arange(taken, taken + len(offsets))
            taken += len(offsets)
        values = pa.concat_arrays(
            [chunk for piece in pieces for chunk in piece.chunks]
            or [pa.array([], CACHE_SCHEMA.field("feature").type)]
        )
        if np.array_equal(order, np.arange(len(order))):  # asked in the cache's order
            return values
        return values.take(pa.array(order, mask=order < 0))


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

    def _new_part(self) -> tuple[Path, Path]:
        """A new part's temporary path and final path (renamed once written whole)."""
        name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        return self.folder / f".{name}.tmp", self.folder / name

    def _open_parts(self) -> list[tuple[Path, pq.ParquetFile]]:
        """The readable parts with their paths, opened. When a listed part is gone (merged by
        another run's ``compact``, whose merged part was written first), the parts are
        listed again."""
        files = []
        for _ in range(OPEN_ATTEMPTS):
            files, vanished = [], False
            for part in self.parts():
                try:
                    files.append((part, pq.ParquetFile(part)))
                except FileNotFoundError:
                    vanished = True
                    break
                except (OSError, pa.ArrowException) as error:
                    self.unreadable_parts += 1
                    logger.warning("feature cache: ignoring unreadable part %s (%s)", part, error)
            if not vanished:
                return files
        return files

    def _read_columns(self, part: Path, file: pq.ParquetFile, columns: list[str]):
        """The ``columns`` of an opened part, or None (counted, logged) when unreadable."""
        try:
            return file.read(columns=columns)
        except (OSError, pa.ArrowException) as error:
            self.unreadable_parts += 1
            logger.warning("feature cache: ignoring unreadable part %s (%s)", part, error)
            return None

    def _newest_rows(
        self,
        files: list[tuple[Path, pq.ParquetFile]],
        columns: list[str],
        hashes: pa.Array | None = None,
    ) -> tuple[pd.DataFrame, list[int]]:
        """``columns`` (``image_sha256`` first) of the newest copy of each hash in the opened
        ``files`` (of ``hashes`` only, when given), with ``part`` and ``row``: where it lies;
        and the numbers of the parts that could be read."""
        frames, read = [pd.DataFrame(columns=[*columns, "part", "row"])], []
        for number, (part, file) in enumerate(files):
            table = self._read_columns(part, file, columns)
            if table is None:
                continue
            read.append(number)
            rows = np.arange(len(table))
            if hashes is not None:
                mask = pc.is_in(table["image_sha256"], value_set=hashes)
                table, rows = table.filter(mask), np.flatnonzero(mask.to_numpy(False))
            frame = table.to_pandas()
            frame["part"], frame["row"] = number, rows
            frames.append(frame)
        rows = pd.concat(frames, ignore_index=True).drop_duplicates("image_sha256", keep="last")
        return rows, read

    def locate(self, image_sha256s: Iterable[str]) -> CacheRows:
        """Where the rows of these hashes lie (the newest copy of each), with their small
        columns; absent hashes are simply missing. The features are read later, on demand
        (:meth:`CacheRows.features`)."""
        hashes = pa.array(sorted(set(image_sha256s)), type=pa.string())
        files = self._open_parts() if len(hashes) else []
        rows, _ = self._newest_rows(files, SMALL_COLUMNS, hashes)
        return CacheRows(files, rows.set_index("image_sha256"))

    def get(self, image_sha256s: Iterable[str]) -> pd.DataFrame:
        """The cached rows for these hashes (one per hash; absent hashes are simply missing),
        features included: for a few rows (``locate`` reads many without holding them)."""
        found = self.locate(image_sha256s)
        frame = found.rows[SMALL_COLUMNS[1:]].rename_axis("image_sha256").reset_index()
        frame.insert(1, "feature", found.features(frame["image_sha256"]).to_pandas())
        return frame[CACHE_SCHEMA.names]

    def put(self, rows: pd.DataFrame) -> Path | None:
        """Append rows (columns of ``CACHE_SCHEMA``) as a new part file."""
        if rows.empty:
            return None
        table = pa.Table.from_pandas(
            rows[CACHE_SCHEMA.names], schema=CACHE_SCHEMA, preserve_index=False
        )
        temporary, final = self._new_part()
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS)
        temporary.rename(final)
        return final

    def compact(self, max_parts: int = 32) -> None:
        """Merge all parts into one when there are more than ``max_parts``, copying them row
        group by row group (the newest copy of each hash).

        Another run may merge the same parts at the same time: the parts are opened first, so
        one it removes meanwhile is still read, and its rows end up in both merged parts.
        """
        if len(self.parts()) <= max_parts:
            return
        files = self._open_parts()
        newest, read = self._newest_rows(files, ["image_sha256"])
        if not read:
            return
        temporary, final = self._new_part()
        pending = CACHE_SCHEMA.empty_table()
        with pq.ParquetWriter(temporary, CACHE_SCHEMA) as writer:
            for number, rows in newest.groupby("part")["row"]:
                file = files[number][1]
                keep = np.zeros(file.metadata.num_rows, dtype=bool)
                keep[rows.to_numpy(dtype=np.int64)] = True
                start = 0
                for group in range(file.num_row_groups):
                    table = file.read_row_group(group).cast(CACHE_SCHEMA)
                    kept = table.filter(pa.array(keep[start : start + len(table)]))
                    pending = pa.concat_tables([pending, kept])
                    start += len(table)
                    while len(pending) >= ROW_GROUP_ROWS:  # full row groups only
                        writer.write_table(pending.slice(0, ROW_GROUP_ROWS))
                        pending = pending.slice(ROW_GROUP_ROWS)
            if len(pending):
                writer.write_table(pending)
        temporary.rename(final)
        for number in read:  # an unreadable part stays, to be looked at
            files[number][0].unlink(missing_ok=True)
        logger.info("feature cache: merged %d parts in %s", len(read), self.folder)

    def __len__(self) -> int:
        return sum(pq.ParquetFile(part).metadata.num_rows for part in self.parts())
