"""The directory the pipeline writes CSV exports to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from bookshop.storage.atomic import write_atomically

if TYPE_CHECKING:
    import pandas as pd


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> None:
    """A reader never sees half a file (see storage/atomic.py)."""
    write_atomically(path, lambda file: frame.to_csv(file, index=False, lineterminator="\n", encoding="utf-8"))


class ExportDirectory(dg.ConfigurableResource):
    """Where CSV exports for people and other systems are written."""

    path: str

    def write_csv(self, frame: pd.DataFrame, file_name: str) -> Path:
        target = Path(self.path) / file_name
        write_csv_atomically(frame, target)
        return target
