"""Raw copies of the bookshop's MySQL tables, read with the read-only account."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
from pydantic import Field
from upath import UPath

from bookshop.logic.incremental import merge_changed_rows
from bookshop.metadata import OWNERS, frame_output
from bookshop.mysql import MySQLResource

KINDS = {"mysql", "pandas"}

# Declarative automation keeps the sources fresh by itself: each source is requested on every
# half-hour cron tick (at most once per tick), so mysql_orders is never older than 30 minutes
# plus one run, well inside its 60-minute freshness policy.
REFRESH_CRON = "*/30 * * * *"
KEEP_FRESH = dg.AutomationCondition.on_cron(REFRESH_CRON)
ORDERS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=60), warn_window=timedelta(minutes=45))
# The storefront writes orders all day; a source with no new order for this long has stopped feeding us.
ORDERS_SILENCE_LIMIT = timedelta(hours=24)


@dg.asset(group_name="sources", kinds=KINDS, owners=OWNERS, automation_condition=KEEP_FRESH)
def mysql_users(mysql: MySQLResource) -> dg.Output[pd.DataFrame]:
    """Users as stored in MySQL, dirty rows included."""
    return frame_output(mysql.read_table("SELECT id, email, full_name, created_at, updated_at FROM users"))


@dg.asset(group_name="sources", kinds=KINDS, owners=OWNERS, automation_condition=KEEP_FRESH)
def mysql_authors(mysql: MySQLResource) -> dg.Output[pd.DataFrame]:
    """Authors as stored in MySQL."""
    return frame_output(mysql.read_table("SELECT id, name, country, created_at, updated_at FROM authors"))


@dg.asset(group_name="sources", kinds=KINDS, owners=OWNERS, automation_condition=KEEP_FRESH)
def mysql_books(mysql: MySQLResource) -> dg.Output[pd.DataFrame]:
    """Books as stored in MySQL, list price in integer cents."""
    return frame_output(
        mysql.read_table(
            "SELECT id, author_id, title, CAST(price * 100 AS SIGNED) AS price_cents, created_at, updated_at FROM books"
        )
    )


ORDER_COLUMNS = (
    "id, user_id, book_id, quantity, CAST(unit_price * 100 AS SIGNED) AS unit_price_cents, created_at, updated_at"
)


class OrdersRefresh(dg.Config):
    full_refresh: bool = Field(
        default=False, description="Read every order instead of only those changed since the last refresh."
    )


def read_all_orders(mysql: MySQLResource, reason: str) -> tuple[pd.DataFrame, dict[str, object]]:
    return mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders"), {"refresh": "full", "reason": reason}


def read_changed_orders(mysql: MySQLResource, last: dict[str, object]) -> tuple[pd.DataFrame, dict[str, object]]:
    """Orders changed since the last refresh merged into its stored copy, or every order.

    The high-watermark is the newest updated_at already read (the database sets updated_at on
    every insert and update). Deletes leave no updated_at behind: when the merged copy holds more
    rows than MySQL, some were deleted, and the refresh falls back to reading everything.
    """
    stored_path = UPath(str(last["path"]))
    if "high_watermark" not in last or not stored_path.exists():
        return read_all_orders(mysql, "no stored copy with a watermark")
    with stored_path.open("rb") as file:
        stored = pd.read_parquet(file)
    changed = mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders WHERE updated_at >= '{last['high_watermark']}'")
    merged = merge_changed_rows(stored, changed)
    total = int(mysql.read("SELECT COUNT(*) AS total FROM orders")["total"].iloc[0])
    if len(merged) != total:
        return read_all_orders(mysql, f"{len(merged) - total} rows deleted")
    return merged, {"refresh": "incremental", "changed_rows": len(changed)}


@dg.asset(
    group_name="sources",
    kinds=KINDS,
    owners=OWNERS,
    automation_condition=KEEP_FRESH,
    freshness_policy=ORDERS_FRESHNESS,
)
def mysql_orders(
    context: dg.AssetExecutionContext, config: OrdersRefresh, mysql: MySQLResource
) -> dg.Output[pd.DataFrame]:
    """Orders as stored in MySQL, dirty rows included, unit price in cents; read incrementally."""
    last = context.instance.get_latest_materialization_event(context.asset_key)
    if config.full_refresh:
        orders, how = read_all_orders(mysql, "full_refresh requested")
    elif last is None:
        orders, how = read_all_orders(mysql, "first refresh")
    else:
        metadata = {name: value.value for name, value in last.asset_materialization.metadata.items()}
        orders, how = read_changed_orders(mysql, metadata)
    return frame_output(orders, high_watermark=str(orders["updated_at"].max()), **how)


@dg.asset_check(asset=mysql_orders, description="The newest order is less than 24 hours old.")
def mysql_orders_recent(mysql_orders: pd.DataFrame) -> dg.AssetCheckResult:
    if mysql_orders.empty:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="No orders at all.")
    newest = mysql_orders["updated_at"].max()
    age = datetime.now(UTC).replace(tzinfo=None) - newest
    return dg.AssetCheckResult(
        passed=bool(age < ORDERS_SILENCE_LIMIT),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest_order_at": str(newest), "age_hours": round(age.total_seconds() / 3600, 2)},
    )
