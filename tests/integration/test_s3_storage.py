"""The pipeline with its storage and exports on S3 (a local S3 API): the same figures, byte-identical exports."""

import csv
import io
import threading
from datetime import timedelta
from decimal import Decimal

import dagster as dg
import pandas as pd
import pytest
from integration.conftest import pipeline_env, run_job
from upath import UPath

from bookshop.storage.atomic import ChangedSinceRead, write_atomically
from bookshop.storage.snapshot_table import SnapshotTable
from support.shop_figures import shop_figures

EXPORTS = ("user_stats.csv", "top_authors.csv")
ORDERS = pd.DataFrame({"id": [1, 2, 3], "quantity": [1, 1, 1]})


def metadata(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_the_pipeline_on_s3_gives_the_figures_and_exports_of_a_folder(shop_database, s3, tmp_path):
    on_folder_env = pipeline_env(shop_database, tmp_path / "folder")
    on_s3_env = {
        **pipeline_env(shop_database, tmp_path / "s3"),
        "BOOKSHOP_STORAGE_PATH": f"s3://{s3.bucket}/storage",
        "BOOKSHOP_EXPORTS_PATH": f"s3://{s3.bucket}/exports",
    }
    with dg.instance_for_test() as instance:
        on_folder = run_job("daily_refresh", on_folder_env, instance)
    with dg.instance_for_test() as instance:
        on_s3 = run_job("daily_refresh", on_s3_env, instance)
        incremental = run_job("weekend_batch", on_s3_env, instance)

    assert on_folder.success and on_s3.success and incremental.success
    for name in EXPORTS:
        assert s3.read(f"exports/{name}") == (tmp_path / "folder" / "exports" / name).read_bytes()
    assert metadata(on_s3, "user_stats_csv")["path"] == f"s3://{s3.bucket}/exports/user_stats.csv"
    for key in ("mysql_users", "users_cleaned", "orders_cleaned", "user_stats", "top_authors", "daily_revenue"):
        assert metadata(on_s3, key)["row_count"] == metadata(on_folder, key)["row_count"], key
    assert (metadata(incremental, "mysql_orders")["refresh"], metadata(incremental, "mysql_orders")["row_count"]) == (
        "incremental",
        50100,
    )

    engine = shop_database.engine()
    figures = shop_figures(engine)
    engine.dispose()
    top_authors = list(csv.DictReader(io.StringIO(s3.read("exports/top_authors.csv").decode())))
    assert int(top_authors[0]["author_id"]) == figures["top_author_id"]
    assert sum(Decimal(row["revenue"]) for row in top_authors) == figures["total_revenue"]

    # Every asset's Parquet file and the orders table (its manifest and the two files it names) are in the bucket.
    stored = set(s3.keys("storage/"))
    assert {f"storage/{key}.parquet" for key in ("mysql_users", "user_stats", "daily_revenue")} <= stored
    manifest = SnapshotTable(UPath(f"s3://{s3.bucket}/storage/mysql_orders")).existing_manifest()
    assert {f"storage/mysql_orders/{name}" for name in (manifest.snapshot, manifest.overlay)} <= stored
    assert not [key for key in stored if key.endswith(".partial")]


def test_a_write_to_s3_that_fails_half_way_leaves_the_old_object(s3):
    target = UPath(f"s3://{s3.bucket}/exports/user_stats.csv")
    write_atomically(target, lambda file: file.write(b"old\n"))

    def half_then_crash(file):
        file.write(b"new, but only ha")
        raise RuntimeError("crashed mid-write")

    with pytest.raises(RuntimeError):
        write_atomically(target, half_then_crash)

    assert s3.read("exports/user_stats.csv") == b"old\n"


def test_the_manifest_commit_is_a_compare_and_swap_on_s3(s3):
    table = SnapshotTable(UPath(f"s3://{s3.bucket}/orders"))
    first = table.replace(ORDERS, "2026-01-01 00:00:00", based_on=None)
    newer = table.apply(ORDERS.iloc[0:1], [], "2026-01-02 00:00:00", first)

    with pytest.raises(ChangedSinceRead):
        table.apply(ORDERS.iloc[1:2], [], "2026-01-01 12:00:00", first)
    with pytest.raises(ChangedSinceRead):
        table.replace(ORDERS, None, based_on=None)

    assert table.manifest() == newer


def test_of_many_writers_on_s3_that_read_the_same_manifest_exactly_one_commits(s3):
    table = SnapshotTable(UPath(f"s3://{s3.bucket}/orders"))
    first = table.replace(ORDERS, None, based_on=None)
    outcomes: list[str] = []

    def writer(n: int) -> None:
        try:
            table.apply(pd.DataFrame({"id": [n], "quantity": [n]}), [], None, first)
            outcomes.append("committed")
        except ChangedSinceRead:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(10, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["committed"] + ["refused"] * 5
    current = table.existing_manifest()
    assert len(table.read()) == current.row_count == 4


def test_garbage_on_s3_is_removed_only_once_older_than_the_safe_age(s3):
    folder = UPath(f"s3://{s3.bucket}/orders")
    young = SnapshotTable(folder, keep_unreferenced=timedelta(hours=1))
    first = young.replace(ORDERS, None, based_on=None)
    second = young.apply(ORDERS.iloc[0:1], [], None, first)
    third = young.apply(ORDERS.iloc[1:2], [], None, second)
    assert f"orders/{first.overlay}" in s3.keys("orders/")  # unreferenced, but young

    old = SnapshotTable(folder, keep_unreferenced=timedelta(0))
    fourth = old.apply(ORDERS.iloc[2:3], [], None, third)

    names = {key.removeprefix("orders/") for key in s3.keys("orders/")}
    assert names == {"manifest.json", fourth.snapshot, fourth.overlay, third.overlay}
