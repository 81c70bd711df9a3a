"""The CSV exports for people and other systems, under BOOKSHOP_EXPORTS_PATH (a folder or an `s3://` URL)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from upath import UPath

from bookshop.storage.atomic import write_atomically


def write_csv_atomically(frame: pd.DataFrame, path: UPath) -> None:
    """A reader never sees half a file (see atomic.py)."""
    write_atomically(path, lambda file: frame.to_csv(file, index=False, lineterminator="\n", encoding="utf-8"))


class ExportDirectory(dg.ConfigurableResource):
    """Where CSV exports for people and other systems are written."""

    path: str

    def write_csv(self, frame: pd.DataFrame, file_name: str) -> UPath:
        target = UPath(self.path) / file_name
        write_csv_atomically(frame, target)
        return target
