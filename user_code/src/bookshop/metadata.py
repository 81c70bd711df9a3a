"""The metadata every asset reports: its row count and a small preview."""

from __future__ import annotations

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 5


def preview(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.head(PREVIEW_ROWS).to_markdown(index=False))


def frame_metadata(frame: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    return {"row_count": dg.MetadataValue.int(len(frame)), "preview": preview(frame)}


def frame_output(frame: pd.DataFrame, **extra: int | str) -> dg.Output[pd.DataFrame]:
    """An asset's DataFrame with its row count, preview and any extra figures as metadata."""
    return dg.Output(frame, metadata={**frame_metadata(frame), **extra})
