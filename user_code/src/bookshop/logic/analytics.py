"""Business figures from cleaned orders. Money is integer cents throughout.

Each figure groups a few columns of the orders (the ones listed in its *_COLUMNS) and never
copies the whole frame, so millions of orders cost little more memory than those columns.
"""

from __future__ import annotations

import pandas as pd

# The order columns each figure reads: its asset loads only these.
USER_STATS_COLUMNS = ["user_id", "quantity", "unit_price_cents", "created_at"]
TOP_AUTHORS_COLUMNS = ["book_id", "quantity", "unit_price_cents"]
DAILY_REVENUE_COLUMNS = ["quantity", "unit_price_cents", "created_at"]


def order_revenue_cents(orders: pd.DataFrame) -> pd.Series:
    return orders["quantity"].astype("int64") * orders["unit_price_cents"].astype("int64")


def user_stats(users: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """One row per user: order count, spend, first and last order (users without orders included)."""
    by_user = orders["user_id"]
    per_user = pd.DataFrame(
        {
            "order_count": by_user.groupby(by_user).size(),
            "spend_cents": order_revenue_cents(orders).groupby(by_user).sum(),
            "first_order_at": orders["created_at"].groupby(by_user).min(),
            "last_order_at": orders["created_at"].groupby(by_user).max(),
        }
    )
    stats = users[["id", "email"]].rename(columns={"id": "user_id"}).join(per_user, on="user_id")
    stats["order_count"] = stats["order_count"].fillna(0).astype("int64")
    stats["spend_cents"] = stats["spend_cents"].fillna(0).astype("int64")
    return stats.sort_values("user_id").reset_index(drop=True)


def top_authors(orders: pd.DataFrame, books: pd.DataFrame, authors: pd.DataFrame) -> pd.DataFrame:
    """Authors ranked by revenue, highest first (ties broken by author id); orders of unknown books left out."""
    author_of_book = pd.Series(books["author_id"].to_numpy(), index=books["id"].to_numpy())
    by_author = orders["book_id"].map(author_of_book).rename("author_id")
    revenue = pd.DataFrame(
        {
            "revenue_cents": order_revenue_cents(orders).groupby(by_author).sum(),
            "order_count": by_author.groupby(by_author).size(),
        }
    )
    revenue.index = revenue.index.astype(books["author_id"].dtype)
    ranked = (
        revenue.reset_index()
        .merge(authors[["id", "name"]].rename(columns={"id": "author_id", "name": "author_name"}), on="author_id")
        .sort_values(["revenue_cents", "author_id"], ascending=[False, True])
    )
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked[["rank", "author_id", "author_name", "order_count", "revenue_cents"]].reset_index(drop=True)


def daily_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders and revenue per calendar day (UTC) of the order's creation."""
    by_day = orders["created_at"].dt.floor("D").rename("day")
    daily = pd.DataFrame(
        {
            "order_count": by_day.groupby(by_day).size(),
            "revenue_cents": order_revenue_cents(orders).groupby(by_day).sum(),
        }
    ).reset_index()
    daily["day"] = daily["day"].dt.date
    return daily.sort_values("day").reset_index(drop=True)


def format_cents(cents: pd.Series) -> pd.Series:
    """Integer cents as exact decimal strings: 123456 -> '1234.56', -5 -> '-0.05'."""
    sign = cents.map(lambda value: "-" if value < 0 else "")
    magnitude = cents.abs()
    return sign + (magnitude // 100).astype(str) + "." + (magnitude % 100).astype(str).str.zfill(2)
