"""Incremental refreshes of mysql_orders give exactly the figures of a full refresh."""

from contextlib import contextmanager

import dagster as dg
from integration.conftest import pipeline_env, run_job
from sqlalchemy import text

from support.shop_figures import shop_figures

CHANGED = "id <= 50000 AND id % 100 = 7"  # 500 orders, 1% of the clean ones
NEW_IDS = range(60001, 60011)
DELETED_ORDER = 42  # a seed order, deleted by the test and put back afterwards
DELETED_ORDER_COPY = "orders_test_copy"


@contextmanager
def changed_orders(shop_database):
    """Change 1% of orders and add 10, as the storefront would; undo it all afterwards."""
    engine = shop_database.admin_engine()
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE {DELETED_ORDER_COPY} AS SELECT * FROM orders WHERE id = {DELETED_ORDER}")
        )
        connection.execute(text(f"UPDATE orders SET quantity = quantity + 1 WHERE {CHANGED}"))
        for order_id in NEW_IDS:
            connection.execute(
                text(
                    "INSERT INTO orders (id, user_id, book_id, quantity, unit_price)"
                    " SELECT :id, 1 + :id % 1000, id, 2, price FROM books WHERE id = 1 + :id % 2000"
                ),
                {"id": order_id},
            )
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE orders SET quantity = quantity - 1 WHERE {CHANGED}"))
            connection.execute(text(f"DELETE FROM orders WHERE id >= {NEW_IDS[0]} OR id = {DELETED_ORDER}"))
            connection.execute(text(f"INSERT INTO orders SELECT * FROM {DELETED_ORDER_COPY}"))
            connection.execute(text(f"DROP TABLE {DELETED_ORDER_COPY}"))
        engine.dispose()


def orders_refresh(result):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("mysql_orders")]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def same_exports(first, second) -> bool:
    return all(
        (first / "exports" / name).read_text() == (second / "exports" / name).read_text()
        for name in ("user_stats.csv", "top_authors.csv")
    )


def test_incremental_refreshes_then_downstream_equal_a_full_refresh_through_changes_and_deletes(
    shop_database, tmp_path
):
    incremental_env = pipeline_env(shop_database, tmp_path / "incremental")
    with dg.instance_for_test() as instance:
        first = run_job("daily_refresh", incremental_env, instance)
        assert orders_refresh(first)["refresh"] == "full"

        with changed_orders(shop_database) as admin:
            incremental = run_job("weekend_batch", incremental_env, instance)
            with dg.instance_for_test() as full_instance:
                run_job("daily_refresh", pipeline_env(shop_database, tmp_path / "full"), full_instance)
            reader = shop_database.engine()
            expected = shop_figures(reader)
            reader.dispose()

            how = orders_refresh(incremental)
            assert how["refresh"] == "incremental"
            assert 510 <= how["changed_rows"] < 600  # the changed and new ones, plus any at the old watermark
            assert (how["deleted_rows"], how["row_count"]) == (0, 50110)
            assert same_exports(tmp_path / "incremental", tmp_path / "full")
            daily = incremental.output_for_node("daily_revenue")
            assert int(daily["order_count"].sum()) == expected["orders_cleaned"] == 50010

            with admin.begin() as connection:
                connection.execute(text(f"DELETE FROM orders WHERE id IN ({NEW_IDS[-1]}, {DELETED_ORDER})"))
            after_delete = run_job("weekend_batch", incremental_env, instance)
            with dg.instance_for_test() as full_instance:
                run_job("daily_refresh", pipeline_env(shop_database, tmp_path / "full_after_delete"), full_instance)

            how = orders_refresh(after_delete)
            assert (how["refresh"], how["deleted_rows"], how["row_count"]) == ("incremental", 2, 50108)
            assert same_exports(tmp_path / "incremental", tmp_path / "full_after_delete")
            assert not same_exports(tmp_path / "incremental", tmp_path / "full")
