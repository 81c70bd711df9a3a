"""Source tables stored as a snapshot plus the changes since, so an incremental refresh writes only what changed.

A table's folder holds:
    manifest.json             what the table is now: its two files, the ids deleted since the
                              snapshot, its row count and high-watermark
    snapshot-<token>.parquet  every row, as of the last full read
    overlay-<token>.parquet   every row changed or added since that snapshot
Data files are written once, under new names; replacing manifest.json commits a refresh. Files
named by neither the new manifest nor the one it replaced are then removed: a reader holding
the previous manifest still finds its files, and whatever a failed refresh wrote is cleared.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import dagster as dg
from upath import UPath

from bookshop.logic.incremental import KEY, apply_changes, count_rows, current_rows
from bookshop.metadata import preview
from bookshop.parquet_io_manager import write_parquet_atomically

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TableRefresh:
    """What a source asset read: every row (`full`), or the rows changed and the ids deleted since its last refresh."""

    rows: pd.DataFrame
    high_watermark: str | None
    full: bool
    deleted_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    snapshot: str
    overlay: str
    deleted_ids: list[int]
    row_count: int
    high_watermark: str | None


class SnapshotTable:
    """One table's folder (a directory, or a bucket URL via UPath)."""

    def __init__(self, folder: UPath):
        self.folder = folder
        self.manifest_path = folder / "manifest.json"

    def manifest(self) -> Manifest | None:
        if not self.manifest_path.exists():
            return None
        return Manifest(**json.loads(self.manifest_path.read_text()))

    def read(self) -> pd.DataFrame:
        manifest = self.existing_manifest()
        return current_rows(self.read_file(manifest.snapshot), self.read_file(manifest.overlay), manifest.deleted_ids)

    def replace(self, rows: pd.DataFrame, high_watermark: str | None) -> Manifest:
        """Every row, as a new snapshot with an empty overlay."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        snapshot = self.write_file(rows, f"snapshot-{token}.parquet")
        overlay = self.write_file(rows.iloc[0:0], f"overlay-{token}.parquet")
        return self.commit(Manifest(snapshot, overlay, [], len(rows), high_watermark), replaced=self.manifest())

    def apply(self, changed: pd.DataFrame, deleted_ids: list[int], high_watermark: str | None) -> Manifest:
        """The changed rows and deleted ids, folded into a new overlay; the snapshot stays."""
        current = self.existing_manifest()
        overlay, deleted = apply_changes(self.read_file(current.overlay), current.deleted_ids, changed, deleted_ids)
        row_count = count_rows(self.read_file(current.snapshot, columns=[KEY])[KEY], overlay[KEY], deleted)
        name = self.write_file(overlay, f"overlay-{uuid.uuid4().hex}.parquet")
        return self.commit(Manifest(current.snapshot, name, deleted, row_count, high_watermark), replaced=current)

    def existing_manifest(self) -> Manifest:
        manifest = self.manifest()
        if manifest is None:
            raise FileNotFoundError(f"{self.manifest_path} does not exist: the table was never stored in full")
        return manifest

    def read_file(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        with (self.folder / name).open("rb") as file:
            return pd.read_parquet(file, columns=columns)

    def write_file(self, frame: pd.DataFrame, name: str) -> str:
        write_parquet_atomically(frame, self.folder / name)
        return name

    def commit(self, manifest: Manifest, replaced: Manifest | None) -> Manifest:
        partial = self.folder / ".manifest.json.partial"
        partial.write_text(json.dumps(asdict(manifest)))
        partial.rename(self.manifest_path)
        keep = {manifest.snapshot, manifest.overlay}
        if replaced is not None:
            keep |= {replaced.snapshot, replaced.overlay}
        for path in self.folder.glob("*.parquet"):
            if path.name not in keep:
                path.unlink()
        return manifest


class SnapshotTableIOManager(dg.ConfigurableIOManager):
    """Stores each refresh of a source table (a TableRefresh) under `base_path`; loads the whole table."""

    base_path: str

    def table(self, asset_key: dg.AssetKey) -> SnapshotTable:
        return SnapshotTable(UPath(self.base_path).joinpath(*asset_key.path))

    def handle_output(self, context: dg.OutputContext, obj: TableRefresh) -> None:
        table = self.table(context.asset_key)
        if obj.full:
            manifest = table.replace(obj.rows, obj.high_watermark)
        else:
            manifest = table.apply(obj.rows, obj.deleted_ids, obj.high_watermark)
        context.add_output_metadata(
            {
                "row_count": dg.MetadataValue.int(manifest.row_count),
                "preview": preview(obj.rows),
                "high_watermark": manifest.high_watermark or "",
                "manifest": str(table.manifest_path),
            }
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        return self.table(context.asset_key).read()
