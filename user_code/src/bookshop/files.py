"""The directory the pipeline reads dropped order files from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from upath import UPath

from bookshop.storage.parquet import write_parquet_atomically

if TYPE_CHECKING:
    import pandas as pd


def move_without_overwriting(path: Path, folder: Path, suffix: str) -> Path:
    """Move a file into a folder; if the name is taken, tag the new one with `suffix`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{suffix}{path.suffix}"
    os.replace(path, target)
    return target


@dataclass(frozen=True)
class WaitingFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def run_key(self) -> str:
        """The same file (name, size, time) always gets the same key: it is never loaded twice."""
        return f"{self.path.name}:{self.size}:{self.mtime_ns}"


class IncomingOrderFiles(dg.ConfigurableResource):
    """The drop folder for order CSV files, with processed/ and rejected/ beside the new ones.

    Loaded orders are kept as Parquet under `storage_path`/incoming_orders/.
    """

    path: str
    storage_path: str

    @property
    def directory(self) -> Path:
        return Path(self.path)

    def waiting(self) -> list[WaitingFile]:
        """CSV files waiting to be loaded, oldest first (hidden files are still being written)."""
        files = []
        for path in self.directory.glob("*.csv") if self.directory.is_dir() else []:
            try:
                stat = path.stat()
            except FileNotFoundError:  # loaded and moved away while we looked
                continue
            if not path.name.startswith("."):
                files.append(WaitingFile(path, stat.st_size, stat.st_mtime_ns))
        return sorted(files, key=lambda file: (file.mtime_ns, file.path.name))

    def processed(self, path: Path, run_id: str) -> Path:
        return move_without_overwriting(path, self.directory / "processed", run_id[:8])

    def rejected(self, path: Path, run_id: str) -> Path:
        return move_without_overwriting(path, self.directory / "rejected", run_id[:8])

    def land(self, frame: pd.DataFrame, source: Path, run_id: str) -> UPath:
        folder = UPath(self.storage_path) / "incoming_orders"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{source.stem}.{run_id[:8]}.parquet"
        write_parquet_atomically(frame, target)
        return target
