"""Raw copies of the bookshop's MySQL tables, read with the read-only account."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
from pydantic import Field

from bookshop.asset_groups import SOURCES
from bookshop.metadata import frame_output
from bookshop.mysql import MySQLResource
from bookshop.storage.snapshot_table import Manifest, SnapshotTables, TableRefresh

# Declarative automation keeps the sources fresh by itself: each source is requested on every
# half-hour cron tick (at most once per tick), so mysql_orders is never older than 30 minutes
# plus one run, well inside its 60-minute freshness policy.
REFRESH_CRON = "*/30 * * * *"
KEEP_FRESH = dg.AutomationCondition.on_cron(REFRESH_CRON)
ORDERS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=60), warn_window=timedelta(minutes=45))
# The storefront writes orders all day; a source with no new order for this long has stopped feeding us.
ORDERS_SILENCE_LIMIT = timedelta(hours=24)


@SOURCES.asset(automation_condition=KEEP_FRESH)
def mysql_users(mysql: MySQLResource) -> dg.Output[pd.DataFrame]:
    """Users as stored in MySQL, dirty rows included."""
    return frame_output(mysql.read_table("SELECT id, email, full_name, created_at, updated_at FROM users"))


@SOURCES.asset(automation_condition=KEEP_FRESH)
def mysql_authors(mysql: MySQLResource) -> dg.Output[pd.DataFrame]:
    """Authors as stored in MySQL."""
    return frame_output(mysql.read_table("SELECT id, name, country, created_at, updated_at FROM authors"))


@SOURCES.asset(automation_condition=KEEP_FRESH)
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


def newest_update(orders: pd.DataFrame, previous: str | None = None) -> str | None:
    """The high-watermark after a read: the newest updated_at read, or the previous one if nothing was."""
    return str(orders["updated_at"].max()) if not orders.empty else previous


def read_all_orders(mysql: MySQLResource, reason: str, stored: Manifest | None) -> dg.Output[TableRefresh]:
    orders = mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders")
    return dg.Output(
        TableRefresh(orders, newest_update(orders), full=True, based_on=stored),
        metadata={"refresh": "full", "reason": reason},
    )


def read_changed_orders(mysql: MySQLResource, stored: Manifest) -> dg.Output[TableRefresh]:
    """Orders changed and deleted since the stored table's high-watermark: the newest updated_at already read.

    The database sets updated_at on every insert and update, and records every delete with its
    time in orders_deleted. Changes are read before deletes: an order deleted in between is then
    deleted by the next refresh rather than missed.
    """
    high_watermark = str(stored.high_watermark)
    since = datetime.fromisoformat(high_watermark).isoformat(sep=" ")  # a timestamp, never arbitrary SQL
    changed = mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders WHERE updated_at >= '{since}'")
    deletes = mysql.rows("SELECT order_id FROM orders_deleted WHERE deleted_at >= :since", since=since)
    deleted = [row.order_id for row in deletes]
    return dg.Output(
        TableRefresh(changed, newest_update(changed, high_watermark), full=False, based_on=stored, deleted_ids=deleted),
        metadata={"refresh": "incremental", "changed_rows": len(changed), "deleted_rows": len(deleted)},
    )


@SOURCES.asset(
    automation_condition=KEEP_FRESH,
    freshness_policy=ORDERS_FRESHNESS,
    io_manager_key="snapshot_io_manager",
)
def mysql_orders(
    context: dg.AssetExecutionContext,
    config: OrdersRefresh,
    mysql: MySQLResource,
    tables: SnapshotTables,
) -> dg.Output[TableRefresh]:
    """Orders as stored in MySQL, dirty rows included, unit price in cents; read incrementally."""
    # The stored table's manifest is the one source of truth for where the last refresh stopped.
    stored = tables.manifest(context.asset_key)
    if config.full_refresh:
        return read_all_orders(mysql, "full_refresh requested", stored)
    if stored is None:
        return read_all_orders(mysql, "first refresh", stored)
    if not stored.high_watermark:
        return read_all_orders(mysql, "no high-watermark stored", stored)
    return read_changed_orders(mysql, stored)


def orders_recency(newest: str | None, now: datetime) -> dg.AssetCheckResult:
    """Passes while the newest order (insert or update) is younger than ORDERS_SILENCE_LIMIT."""
    if not newest:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="No orders at all.")
    age = now - datetime.fromisoformat(newest)
    return dg.AssetCheckResult(
        passed=age < ORDERS_SILENCE_LIMIT,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest_order_at": newest, "age_hours": round(age.total_seconds() / 3600, 2)},
    )


@dg.asset_check(asset=mysql_orders, description="The newest order is less than 24 hours old.")
def mysql_orders_recent(tables: SnapshotTables) -> dg.AssetCheckResult:
    # The stored high-watermark is the newest updated_at: no need to load a million orders for it.
    stored = tables.manifest(mysql_orders.key)
    newest = stored.high_watermark if stored else None
    return orders_recency(newest or "", datetime.now(UTC).replace(tzinfo=None))
