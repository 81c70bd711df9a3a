"""Business figures for dashboards and exports, money exact in integer cents."""

import dagster as dg
import pandas as pd

from bookshop.asset_groups import ANALYTICS
from bookshop.logic import analytics
from bookshop.metadata import frame_output


def orders_columns(columns: list[str]) -> dict[str, dg.AssetIn]:
    """orders_cleaned loaded with only these columns (see ParquetFiles.load_from_path)."""
    return {"orders_cleaned": dg.AssetIn(metadata={"columns": columns})}


def negative_amounts_check(frame: pd.DataFrame, column: str) -> dg.AssetCheckResult:
    negative = int((frame[column] < 0).sum())
    return dg.AssetCheckResult(passed=negative == 0, metadata={f"negative_{column}": negative})


@ANALYTICS.asset(ins=orders_columns(analytics.USER_STATS_COLUMNS))
def user_stats(users_cleaned: pd.DataFrame, orders_cleaned: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Per user: number of orders, total spend, first and last order."""
    return frame_output(analytics.user_stats(users_cleaned, orders_cleaned))


@dg.asset_check(asset=user_stats, blocking=True, description="No user has a negative spend.")
def user_stats_spend_not_negative(user_stats: pd.DataFrame) -> dg.AssetCheckResult:
    return negative_amounts_check(user_stats, "spend_cents")


@ANALYTICS.asset(ins=orders_columns(analytics.TOP_AUTHORS_COLUMNS))
def top_authors(
    orders_cleaned: pd.DataFrame, mysql_books: pd.DataFrame, mysql_authors: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Authors ranked by the revenue of their books, highest first."""
    ranked = analytics.top_authors(orders_cleaned, mysql_books, mysql_authors)
    return frame_output(ranked, top_author=str(ranked["author_name"].iloc[0]) if len(ranked) else "")


@dg.asset_check(asset=top_authors, blocking=True, description="No author has a negative revenue.")
def top_authors_revenue_not_negative(top_authors: pd.DataFrame) -> dg.AssetCheckResult:
    return negative_amounts_check(top_authors, "revenue_cents")


@ANALYTICS.asset(ins=orders_columns(analytics.DAILY_REVENUE_COLUMNS))
def daily_revenue(orders_cleaned: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Orders and revenue per day (UTC)."""
    return frame_output(analytics.daily_revenue(orders_cleaned))


@dg.asset_check(asset=daily_revenue, blocking=True, description="No day has a negative revenue.")
def daily_revenue_not_negative(daily_revenue: pd.DataFrame) -> dg.AssetCheckResult:
    return negative_amounts_check(daily_revenue, "revenue_cents")
