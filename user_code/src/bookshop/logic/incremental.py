"""Merging the rows changed since the last read into the stored copy of a table."""

import pandas as pd


def merge_changed_rows(stored: pd.DataFrame, changed: pd.DataFrame, key: str = "id") -> pd.DataFrame:
    """The stored rows with every changed row replaced or added, ordered by key."""
    kept = stored[~stored[key].isin(changed[key])]
    merged = pd.concat([kept, changed.astype(stored.dtypes.to_dict())], ignore_index=True)
    return merged.sort_values(key, kind="stable").reset_index(drop=True)
