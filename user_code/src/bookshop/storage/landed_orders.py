"""Orders loaded from dropped files: one Parquet file per distinct file content, named by its sha256.

The name is the key that makes landing idempotent: a retry after a crash, or the same file
dropped again, finds its Parquet file already there and lands nothing. Each file is written
whole or not at all (storage/atomic.py), so a crash never leaves a half file under the name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from upath import UPath

from bookshop.storage.atomic import write_atomically

if TYPE_CHECKING:
    import pandas as pd

FOLDER = "incoming_orders"


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Landing:
    path: UPath
    new: bool  # False: the same content was landed before, and nothing was written


@dataclass(frozen=True)
class LandedOrders:
    """The incoming_orders folder under the storage root."""

    folder: UPath

    @classmethod
    def under(cls, storage_root: str) -> LandedOrders:
        return cls(UPath(storage_root) / FOLDER)

    def path_for(self, digest: str) -> UPath:
        return self.folder / f"{digest}.parquet"

    def land(self, orders: pd.DataFrame, digest: str) -> Landing:
        """Write the orders of the file whose content hashes to `digest`, unless they are landed already."""
        target = self.path_for(digest)
        if target.exists():
            return Landing(target, new=False)
        write_atomically(target, lambda file: orders.to_parquet(file, index=False))
        return Landing(target, new=True)
