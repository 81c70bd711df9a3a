"""Keeping a copy of a table current from the rows changed and deleted since the last read.

The copy is a snapshot (every row at the last full read) plus an overlay (every row changed or
added since) and the ids deleted since. A refresh folds what it read into the overlay, so its
cost follows the changes, not the table.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

KEY = "id"


def apply_changes(
    overlay: pd.DataFrame, deleted_ids: Iterable[int], changed: pd.DataFrame, newly_deleted: Iterable[int]
) -> tuple[pd.DataFrame, list[int]]:
    """The overlay and deleted ids after one more refresh read `changed` rows and `newly_deleted` ids.

    Deletes apply first: a row read as changed exists now, whatever was deleted before it.
    """
    changed_ids = set(changed[KEY])
    deleted = (set(deleted_ids) | set(newly_deleted)) - changed_ids
    kept = overlay[~overlay[KEY].isin(changed_ids | deleted)]
    merged = pd.concat([kept, changed.astype(overlay.dtypes.to_dict())], ignore_index=True)
    return merged.sort_values(KEY, kind="stable").reset_index(drop=True), sorted(deleted)


def current_rows(snapshot: pd.DataFrame, overlay: pd.DataFrame, deleted_ids: Iterable[int]) -> pd.DataFrame:
    """The table now: the snapshot without its replaced or deleted rows, plus the overlay, in key order."""
    deleted = list(deleted_ids)
    if overlay.empty and not deleted:
        return snapshot
    gone = snapshot[KEY].isin(overlay[KEY]) | snapshot[KEY].isin(deleted)
    merged = pd.concat([snapshot[~gone], overlay.astype(snapshot.dtypes.to_dict())], ignore_index=True)
    return merged.sort_values(KEY, kind="stable").reset_index(drop=True)


def row_count_after(row_count: int, held_before: set[int], changed_ids: set[int], newly_deleted: set[int]) -> int:
    """How many rows `current_rows` holds after one more refresh, from the count before it.

    `held_before`: which of the ids this refresh touched (changed or deleted) the table held
    before it. A changed id is held after it (see `apply_changes`), a deleted one is not.
    """
    return row_count + len(changed_ids - held_before) - len((held_before & newly_deleted) - changed_ids)
