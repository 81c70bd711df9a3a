"""Stores asset outputs as Parquet files, so runs in different containers can share them."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
from upath import UPath

from bookshop.storage.atomic import write_atomically


def write_parquet_atomically(frame: pd.DataFrame, path: UPath) -> None:
    """A reader never sees half a file (see atomic.py)."""
    write_atomically(path, lambda file: frame.to_parquet(file, index=False))


class ParquetFiles(dg.UPathIOManager):
    """One Parquet file per asset under a base path (a directory, or a bucket URL via UPath)."""

    extension = ".parquet"

    def dump_to_path(self, context: dg.OutputContext, obj: pd.DataFrame, path: UPath) -> None:
        write_parquet_atomically(obj, path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame:
        """The whole frame, or the columns an input lists: `AssetIn(metadata={"columns": [...]})`."""
        with path.open("rb") as file:
            table = pq.read_table(file, columns=context.definition_metadata.get("columns"))
        # Each Arrow column is freed as soon as it is converted: the frame, not twice the frame, at the peak.
        return table.to_pandas(split_blocks=True, self_destruct=True)


class ParquetIOManager(dg.ConfigurableIOManagerFactory):
    """Parquet storage for every asset's DataFrame under `base_path`."""

    base_path: str

    def create_io_manager(self, context: dg.InitResourceContext) -> ParquetFiles:
        return ParquetFiles(base_path=UPath(self.base_path))
