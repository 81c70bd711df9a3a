"""Business figures from cleaned orders. Money is integer cents throughout."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def order_revenue_cents(orders: pd.DataFrame) -> pd.Series:
    return orders["quantity"].astype("int64") * orders["unit_price_cents"].astype("int64")


def user_stats(users: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """One row per user: order count, spend, first and last order (users without orders included)."""
    per_user = (
        orders.assign(revenue_cents=order_revenue_cents(orders))
        .groupby("user_id")
        .agg(
            order_count=("id", "count"),
            spend_cents=("revenue_cents", "sum"),
            first_order_at=("created_at", "min"),
            last_order_at=("created_at", "max"),
        )
    )
    stats = users[["id", "email"]].rename(columns={"id": "user_id"}).join(per_user, on="user_id")
    stats["order_count"] = stats["order_count"].fillna(0).astype("int64")
    stats["spend_cents"] = stats["spend_cents"].fillna(0).astype("int64")
    return stats.sort_values("user_id").reset_index(drop=True)


def top_authors(orders: pd.DataFrame, books: pd.DataFrame, authors: pd.DataFrame) -> pd.DataFrame:
    """Authors ranked by revenue, highest first (ties broken by author id)."""
    revenue = (
        orders.assign(revenue_cents=order_revenue_cents(orders))
        .merge(books[["id", "author_id"]], left_on="book_id", right_on="id", suffixes=("", "_book"))
        .groupby("author_id")
        .agg(revenue_cents=("revenue_cents", "sum"), order_count=("id", "count"))
        .reset_index()
    )
    ranked = revenue.merge(
        authors[["id", "name"]].rename(columns={"id": "author_id", "name": "author_name"}), on="author_id"
    ).sort_values(["revenue_cents", "author_id"], ascending=[False, True])
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked[["rank", "author_id", "author_name", "order_count", "revenue_cents"]].reset_index(drop=True)


def daily_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders and revenue per calendar day (UTC) of the order's creation."""
    return (
        orders.assign(revenue_cents=order_revenue_cents(orders), day=orders["created_at"].dt.date)
        .groupby("day")
        .agg(order_count=("id", "count"), revenue_cents=("revenue_cents", "sum"))
        .reset_index()
        .sort_values("day")
        .reset_index(drop=True)
    )


def format_cents(cents: pd.Series) -> pd.Series:
    """Integer cents as exact decimal strings: 123456 -> '1234.56', -5 -> '-0.05'."""
    sign = cents.map(lambda value: "-" if value < 0 else "")
    magnitude = cents.abs()
    return sign + (magnitude // 100).astype(str) + "." + (magnitude % 100).astype(str).str.zfill(2)
