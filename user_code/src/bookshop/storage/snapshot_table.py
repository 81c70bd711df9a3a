"""Source tables stored as a snapshot plus the changes since, so an incremental refresh writes only what changed.

A table's folder holds:
    manifest.json             what the table is now: its two files, the ids deleted since the
                              snapshot, its row count and high-watermark (the newest
                              `updated_at` read: the next refresh reads from there)
    snapshot-<token>.parquet  every row, as of the last full read
    overlay-<token>.parquet   every row changed or added since that snapshot

A refresh writes its data files first, once, under new names, and then commits by replacing
manifest.json: the manifest is written last. A reader reads the manifest, then the files it
names; those files were complete before the manifest that names them existed, on a folder
(atomic rename) and on an object store alike (one PUT per file, the manifest's PUT after
theirs), so a reader never sees half a table.

The commit is a compare-and-swap (`replace_if_unchanged`): it succeeds only if the manifest is
still the one the refresh started from. A second writer that committed in between makes it
fail with `ChangedSinceRead`, naming the table, instead of overwriting a newer table with one
built on an older state; the next refresh starts from the new manifest. (Dagster's concurrency
pools keep two runs from writing one table at once; this keeps the table whole if they ever do.)

After a commit, garbage collection removes the data files that neither the new manifest nor
the one it replaced names, and only once they are older than `keep_unreferenced` (an hour): a
file that another writer has just written and not yet committed is never removed under it,
and a reader holding the previous manifest still finds its files.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from upath import UPath

from bookshop.logic.incremental import KEY, apply_changes, current_rows, row_count_after
from bookshop.metadata import preview
from bookshop.storage.atomic import read_or_none, replace_if_unchanged
from bookshop.storage.parquet import write_parquet_atomically

# Far longer than a data file waits between being written and its manifest's commit (milliseconds).
KEEP_UNREFERENCED = timedelta(hours=1)


@dataclass(frozen=True)
class Manifest:
    snapshot: str
    overlay: str
    deleted_ids: list[int]
    row_count: int
    high_watermark: str | None

    def encoded(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decoded(cls, content: bytes) -> Manifest:
        return cls(**json.loads(content))


@dataclass(frozen=True)
class TableRefresh:
    """What a source asset read: every row (`full`), or the rows changed and the ids deleted since `based_on`.

    `based_on` is the stored table's manifest when the read began (None: no table yet); the
    commit succeeds only if it is still current.
    """

    rows: pd.DataFrame
    high_watermark: str | None
    full: bool
    based_on: Manifest | None
    deleted_ids: list[int] = field(default_factory=list)


class SnapshotTable:
    """One table's folder (a directory, or a bucket URL via UPath)."""

    def __init__(self, folder: UPath, keep_unreferenced: timedelta = KEEP_UNREFERENCED):
        self.folder = folder
        self.manifest_path = folder / "manifest.json"
        self.keep_unreferenced = keep_unreferenced

    def manifest(self) -> Manifest | None:
        content = read_or_none(self.manifest_path)
        return Manifest.decoded(content) if content is not None else None

    def read(self) -> pd.DataFrame:
        manifest = self.existing_manifest()
        return current_rows(self.read_file(manifest.snapshot), self.read_file(manifest.overlay), manifest.deleted_ids)

    def replace(self, rows: pd.DataFrame, high_watermark: str | None, based_on: Manifest | None) -> Manifest:
        """Every row, as a new snapshot with an empty overlay."""
        token = uuid.uuid4().hex
        snapshot = self.write_file(rows, f"snapshot-{token}.parquet")
        overlay = self.write_file(rows.iloc[0:0], f"overlay-{token}.parquet")
        return self.commit(Manifest(snapshot, overlay, [], len(rows), high_watermark), based_on)

    def apply(
        self, changed: pd.DataFrame, deleted_ids: list[int], high_watermark: str | None, based_on: Manifest | None
    ) -> Manifest:
        """The changed rows and deleted ids, folded into a new overlay of `based_on`; the snapshot stays."""
        if based_on is None:
            raise FileNotFoundError(f"{self.manifest_path} does not exist: the table was never stored in full")
        before = self.read_file(based_on.overlay)
        overlay, deleted = apply_changes(before, based_on.deleted_ids, changed, deleted_ids)
        changed_ids, newly_deleted = set(changed[KEY]), set(deleted_ids)
        held_before = self.held_before(based_on, set(before[KEY]), changed_ids | newly_deleted)
        row_count = row_count_after(based_on.row_count, held_before, changed_ids, newly_deleted)
        name = self.write_file(overlay, f"overlay-{uuid.uuid4().hex}.parquet")
        return self.commit(Manifest(based_on.snapshot, name, deleted, row_count, high_watermark), based_on)

    def existing_manifest(self) -> Manifest:
        manifest = self.manifest()
        if manifest is None:
            raise FileNotFoundError(f"{self.manifest_path} does not exist: the table was never stored in full")
        return manifest

    def read_file(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        with (self.folder / name).open("rb") as file:
            return pd.read_parquet(file, columns=columns)

    def held_before(self, manifest: Manifest, overlay_ids: set[int], ids: set[int]) -> set[int]:
        """Which of `ids` the table that `manifest` names holds: those in its overlay, and those in its
        snapshot that it has not deleted. Only these ids are looked up, not the ones in the table."""
        deleted = set(manifest.deleted_ids)
        in_overlay = ids & overlay_ids
        look_up = sorted(ids - in_overlay - deleted)
        return in_overlay | {int(id_) for id_ in self.ids_held(manifest.snapshot, look_up)}

    def ids_held(self, name: str, ids: list[int]) -> np.ndarray:
        """Which of `ids` (sorted) a data file holds.

        Only the row groups whose id range (the file's own statistics) could hold one of `ids` are
        read: an incremental refresh of recent changes costs the same on a small and a big table.
        """
        wanted = np.asarray(ids, dtype="int64")
        if not len(wanted):
            return wanted
        with (self.folder / name).open("rb") as file:
            parquet = pq.ParquetFile(file)
            column = parquet.schema_arrow.get_field_index(KEY)
            groups = [
                group
                for group in range(parquet.num_row_groups)
                if may_hold(parquet.metadata.row_group(group).column(column).statistics, wanted)
            ]
            held = parquet.read_row_groups(groups, columns=[KEY]).column(KEY).to_numpy()
        return held[np.isin(held, wanted)]

    def write_file(self, frame: pd.DataFrame, name: str) -> str:
        write_parquet_atomically(frame, self.folder / name)
        return name

    def commit(self, manifest: Manifest, based_on: Manifest | None) -> Manifest:
        """Make `manifest` the table, if `based_on` still is; then collect the garbage."""
        replace_if_unchanged(self.manifest_path, based_on.encoded() if based_on else None, manifest.encoded())
        keep = {manifest.snapshot, manifest.overlay}
        if based_on is not None:
            keep |= {based_on.snapshot, based_on.overlay}
        self.collect_garbage(keep)
        return manifest

    def collect_garbage(self, keep: set[str]) -> None:
        """Remove data files not in `keep` and left partial writes, once older than `keep_unreferenced`."""
        oldest_kept = time.time() - self.keep_unreferenced.total_seconds()
        for pattern in ("*.parquet", ".*.partial"):
            for path in self.folder.glob(pattern):
                # st_mtime: the file's modification time, or the object's LastModified on S3.
                if path.name not in keep and path.stat().st_mtime < oldest_kept:
                    path.unlink(missing_ok=True)


def may_hold(statistics: pq.Statistics | None, wanted: np.ndarray) -> bool:
    """Whether a row group whose id column has these statistics can hold one of `wanted` (sorted)."""
    if statistics is None or not statistics.has_min_max:
        return True
    return bool(np.searchsorted(wanted, statistics.min, "left") < np.searchsorted(wanted, statistics.max, "right"))


class SnapshotTables(dg.ConfigurableResource):
    """The source tables stored under `base_path`; assets and checks read a table's manifest here."""

    base_path: str

    def table(self, asset_key: dg.AssetKey) -> SnapshotTable:
        return SnapshotTable(UPath(self.base_path).joinpath(*asset_key.path))

    def manifest(self, asset_key: dg.AssetKey) -> Manifest | None:
        """The stored table's manifest (None if it was never stored): its high-watermark, row count and files."""
        return self.table(asset_key).manifest()


class SnapshotTableIOManager(dg.ConfigurableIOManager):
    """Stores each refresh of a source table (a TableRefresh) in `tables`; loads the whole table."""

    tables: SnapshotTables

    def handle_output(self, context: dg.OutputContext, obj: TableRefresh) -> None:
        table = self.tables.table(context.asset_key)
        if obj.full:
            manifest = table.replace(obj.rows, obj.high_watermark, obj.based_on)
        else:
            manifest = table.apply(obj.rows, obj.deleted_ids, obj.high_watermark, obj.based_on)
        context.add_output_metadata(
            {
                "row_count": dg.MetadataValue.int(manifest.row_count),
                "preview": preview(obj.rows),
                "high_watermark": manifest.high_watermark or "",
                "manifest": str(table.manifest_path),
            }
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        return self.tables.table(context.asset_key).read()
