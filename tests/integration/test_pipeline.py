"""Every asset materialised against real MySQL; figures checked against SQL on the same data."""

from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy
from integration.conftest import READER, pipeline_env, run_job

from bookshop.defs.sensors import orders_watermark
from bookshop.mysql import MySQLResource
from support.shop_figures import assert_exports_hold_the_figures, shop_figures


@pytest.fixture(scope="module")
def refreshed(shop_database, tmp_path_factory):
    """One daily_refresh run against the shop database; its result and folder."""
    folder = tmp_path_factory.mktemp("pipeline")
    with dg.instance_for_test() as instance:
        return run_job("daily_refresh", pipeline_env(shop_database, folder), instance), folder


def materialized(result, key):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)]
    return {name: value.value for name, value in event.materialization.metadata.items()}


@pytest.fixture(scope="module")
def figures(shop_database):
    engine = shop_database.engine()
    yield shop_figures(engine)
    engine.dispose()


def test_every_asset_and_check_succeeds(refreshed):
    result, _ = refreshed

    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {
        "mysql_users", "mysql_authors", "mysql_books", "mysql_orders", "users_cleaned", "orders_cleaned",
        "user_stats", "top_authors", "daily_revenue", "user_stats_csv", "top_authors_csv",
    }  # fmt: skip
    assert all(check.passed for check in result.get_asset_check_evaluations())
    assert len(result.get_asset_check_evaluations()) == 7


def test_raw_and_cleaned_row_counts_match_the_seed_and_sql(refreshed, figures):
    result, _ = refreshed

    assert materialized(result, "mysql_users")["row_count"] == 1060
    assert materialized(result, "mysql_authors")["row_count"] == 200
    assert materialized(result, "mysql_books")["row_count"] == 2000
    assert materialized(result, "mysql_orders")["row_count"] == 50100
    users = materialized(result, "users_cleaned")
    assert users["row_count"] == figures["users_cleaned"] == 1000
    assert (users["dropped_missing_email"], users["dropped_malformed_email"], users["dropped_duplicate_email"]) == (
        20,
        15,
        25,
    )
    orders = materialized(result, "orders_cleaned")
    assert orders["row_count"] == figures["orders_cleaned"] == 50000
    assert (
        orders["dropped_non_positive_quantity"],
        orders["dropped_negative_unit_price"],
        orders["dropped_unknown_user"],
        orders["dropped_unknown_book"],
    ) == (
        50,
        0,
        25,
        25,
    )


def test_exports_hold_the_figures_sql_computes(refreshed, figures):
    _, folder = refreshed

    assert_exports_hold_the_figures(lambda name: (folder / "exports" / name).read_text(), figures)


def test_daily_revenue_adds_up_to_the_total(refreshed, figures):
    result, _ = refreshed
    daily = result.output_for_node("daily_revenue")

    assert Decimal(int(daily["revenue_cents"].sum())) / 100 == figures["total_revenue"]
    assert int(daily["order_count"].sum()) == figures["orders_cleaned"]


def test_the_pipeline_account_can_read_but_not_write(shop_database):
    engine = shop_database.engine()
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM orders")).scalar() == 50100
        with pytest.raises(sqlalchemy.exc.OperationalError, match="denied"):
            connection.execute(sqlalchemy.text("DELETE FROM orders WHERE id = 1"))
    engine.dispose()


def test_the_orders_sensor_reads_its_watermark_with_the_pipeline_account(shop_database):
    mysql = MySQLResource(
        host=shop_database.host,
        port=shop_database.port,
        database="shop",
        user=READER,
        password=shop_database.reader_password,
    )
    engine = shop_database.engine()
    with engine.connect() as connection:
        newest = connection.execute(sqlalchemy.text("SELECT MAX(updated_at) FROM orders")).scalar()
        highest = connection.execute(sqlalchemy.text("SELECT MAX(id) FROM orders")).scalar()
        deletes = connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM orders_deleted")).scalar()
    engine.dispose()

    assert orders_watermark(mysql) == f"{newest}|{highest}|{deletes}"
