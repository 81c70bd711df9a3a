"""Dropped order files reach the figures: user_stats, daily_revenue and top_authors change by exactly
the files' totals, computed a second way (from the files' text, with the cleaning rules in SQL)."""

import csv
import io
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from integration.conftest import pipeline_env, run_job
from sqlalchemy import text
from upath import UPath

from bookshop.definitions import defs
from support.shop_figures import CLEAN_USERS

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"
FILES = {
    "first.csv": HEADER
    + "900001,1,1,2,10.50,2031-01-01T09:00:00Z\n"
    + "900002,2,5,1,3.99,2031-01-01T23:59:59Z\n"
    + "900003,1,7,3,0.00,2031-01-02T00:00:00Z\n",
    # Order 1 is MySQL's (the file's row is left out); user 1001 has no email (dropped by cleaning).
    "second.csv": HEADER
    + "900004,3,1,1,20.00,2031-01-02T12:00:00\n"
    + "1,3,9,9,99.99,2031-01-03T00:00:00\n"
    + "900005,1001,9,1,5.00,2031-01-03T00:00:00\n"
    + "900006,2,1999,4,1.25,2031-01-03T08:30:00\n",
    "bad.csv": HEADER + "900007,2,1,lots,1.00,2031-01-03T00:00:00\n",
}


def expected_changes(engine) -> dict[str, dict]:
    """Per user, per day and per author: (orders, revenue) the landed files add, from their text."""
    with engine.connect() as connection:
        clean_users = {row.id for row in connection.execute(text(CLEAN_USERS))}
        mysql_ids = {row.id for row in connection.execute(text("SELECT id FROM orders"))}
        author_of = dict(connection.execute(text("SELECT id, author_id FROM books")).all())
    changes: dict[str, dict] = {
        "user": defaultdict(Counter),
        "day": defaultdict(Counter),
        "author": defaultdict(Counter),
    }
    for name in ("first.csv", "second.csv"):
        for row in csv.DictReader(io.StringIO(FILES[name])):
            if int(row["order_id"]) in mysql_ids or int(row["user_id"]) not in clean_users:
                continue
            revenue = int(row["quantity"]) * Decimal(row["unit_price"])
            for kind, key in (
                ("user", int(row["user_id"])),
                ("day", row["created_at"][:10]),
                ("author", author_of[int(row["book_id"])]),
            ):
                changes[kind][key]["orders"] += 1
                changes[kind][key]["revenue"] += revenue
    return changes


def figures(env: dict[str, str]) -> dict[str, dict]:
    """(orders, revenue) per user, per day and per author, as the pipeline stored and exported them."""

    def read(path: UPath) -> bytes:
        with path.open("rb") as file:
            return file.read()

    exports, storage = UPath(env["BOOKSHOP_EXPORTS_PATH"]), UPath(env["BOOKSHOP_STORAGE_PATH"])
    users = csv.DictReader(io.StringIO(read(exports / "user_stats.csv").decode()))
    authors = csv.DictReader(io.StringIO(read(exports / "top_authors.csv").decode()))
    daily = pd.read_parquet(io.BytesIO(read(storage / "daily_revenue.parquet")))
    return {
        "user": {int(r["user_id"]): (int(r["order_count"]), Decimal(r["spend"])) for r in users},
        "author": {int(r["author_id"]): (int(r["order_count"]), Decimal(r["revenue"])) for r in authors},
        "day": {str(r.day): (int(r.order_count), Decimal(int(r.revenue_cents)) / 100) for r in daily.itertuples()},
    }


def ingest(env: dict[str, str], names: list[str], instance) -> dg.ExecuteInProcessResult:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return (
            defs()
            .resolve_job_def("ingest_order_file")
            .execute_in_process(
                run_config={"ops": {"load_order_files": {"config": {"file_names": names}}}},
                instance=instance,
                raise_on_error=False,
            )
        )


def assert_figures_change_by_the_files_totals(shop_database, env: dict[str, str]) -> None:
    incoming = Path(env["BOOKSHOP_INCOMING_PATH"])
    with dg.instance_for_test() as instance:
        assert run_job("daily_refresh", env, instance).success
        before = figures(env)
        incoming.mkdir(parents=True, exist_ok=True)
        for name, content in FILES.items():
            (incoming / name).write_text(content)
        landing = ingest(env, sorted(FILES), instance)
        refresh = run_job("landed_orders_refresh", env, instance)
    after = figures(env)

    assert not landing.success  # bad.csv is rejected, the two others landed
    assert sorted(path.name for path in (incoming / "processed").iterdir()) == ["first.csv", "second.csv"]
    assert refresh.success
    expected = expected_changes(shop_database.engine())
    for kind in ("user", "day", "author"):
        changed = {
            key: (orders - before[kind].get(key, (0, 0))[0], revenue - before[kind].get(key, (0, 0))[1])
            for key, (orders, revenue) in after[kind].items()
            if after[kind][key] != before[kind].get(key)
        }
        assert changed == {key: (c["orders"], c["revenue"]) for key, c in expected[kind].items()}, kind
    [cleaned] = [e for e in refresh.get_asset_materialization_events() if e.asset_key == dg.AssetKey("orders_cleaned")]
    metadata = cleaned.materialization.metadata
    assert metadata["landed_orders"].value == 6
    assert metadata["landed_conflicts_with_mysql"].value == 1


def test_landed_files_change_the_figures_by_exactly_their_totals(shop_database, tmp_path):
    assert_figures_change_by_the_files_totals(shop_database, pipeline_env(shop_database, tmp_path))


def test_landed_files_change_the_figures_on_s3_too(shop_database, s3, tmp_path):
    env = {
        **pipeline_env(shop_database, tmp_path),
        "BOOKSHOP_STORAGE_PATH": f"s3://{s3.bucket}/storage",
        "BOOKSHOP_EXPORTS_PATH": f"s3://{s3.bucket}/exports",
    }
    assert_figures_change_by_the_files_totals(shop_database, env)
