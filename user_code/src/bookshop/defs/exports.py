"""CSV exports for people and other systems, written atomically under the exports directory."""

import dagster as dg
import pandas as pd

from bookshop.asset_groups import EXPORTS
from bookshop.logic.analytics import format_cents
from bookshop.metadata import frame_metadata
from bookshop.storage.exports import ExportDirectory


def export(exports: ExportDirectory, frame: pd.DataFrame, file_name: str) -> dg.MaterializeResult:
    path = exports.write_csv(frame, file_name)
    return dg.MaterializeResult(metadata={**frame_metadata(frame), "path": dg.MetadataValue.path(str(path))})


@EXPORTS.asset()
def user_stats_csv(exports: ExportDirectory, user_stats: pd.DataFrame) -> dg.MaterializeResult:
    """user_stats.csv: per-user orders and spend, amounts as exact decimals."""
    frame = user_stats.assign(spend=format_cents(user_stats["spend_cents"])).drop(columns="spend_cents")
    return export(exports, frame, "user_stats.csv")


@EXPORTS.asset()
def top_authors_csv(exports: ExportDirectory, top_authors: pd.DataFrame) -> dg.MaterializeResult:
    """top_authors.csv: authors ranked by revenue, amounts as exact decimals."""
    frame = top_authors.assign(revenue=format_cents(top_authors["revenue_cents"])).drop(columns="revenue_cents")
    return export(exports, frame, "top_authors.csv")
