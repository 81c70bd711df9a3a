import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from bookshop.snapshot_table import SnapshotTable, SnapshotTableIOManager, TableRefresh

ORDERS = pd.DataFrame({"id": [1, 2, 3], "quantity": [1, 1, 1]})


def parquet_files(table: SnapshotTable) -> set[str]:
    return {path.name for path in table.folder.glob("*.parquet")}


def test_a_full_refresh_then_changes_read_back_as_the_current_table(tmp_path):
    table = SnapshotTable(UPath(tmp_path) / "orders")
    table.replace(ORDERS, "2026-01-01 00:00:00")

    manifest = table.apply(pd.DataFrame({"id": [2, 4], "quantity": [5, 5]}), [1], "2026-01-02 00:00:00")

    assert table.read().to_dict("list") == {"id": [2, 3, 4], "quantity": [5, 1, 5]}
    assert (manifest.row_count, manifest.high_watermark, manifest.deleted_ids) == (3, "2026-01-02 00:00:00", [1])
    assert table.manifest() == manifest


def test_files_of_older_manifests_are_removed_but_the_replaced_ones_kept(tmp_path):
    table = SnapshotTable(UPath(tmp_path))
    first = table.replace(ORDERS, None)
    second = table.apply(ORDERS.iloc[0:1], [], None)
    (tmp_path / "overlay-left-by-a-failed-run.parquet").write_bytes(b"")

    third = table.apply(ORDERS.iloc[1:2], [], None)

    assert parquet_files(table) == {third.snapshot, third.overlay, second.overlay}
    assert first.overlay not in parquet_files(table)


def test_changes_need_a_stored_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="never stored in full"):
        SnapshotTable(UPath(tmp_path)).apply(ORDERS, [], None)


def test_the_io_manager_stores_refreshes_and_loads_the_whole_table(tmp_path):
    @dg.asset(io_manager_key="tables")
    def orders(context: dg.AssetExecutionContext) -> TableRefresh:
        first = context.instance.get_latest_materialization_event(context.asset_key) is None
        rows = ORDERS if first else pd.DataFrame({"id": [3], "quantity": [9]})
        return TableRefresh(rows, "2026-01-01 00:00:00", full=first, deleted_ids=[] if first else [1])

    @dg.asset
    def total_quantity(orders: pd.DataFrame) -> int:
        return int(orders["quantity"].sum())

    resources = {"tables": SnapshotTableIOManager(base_path=str(tmp_path)), "io_manager": dg.mem_io_manager}
    with dg.instance_for_test() as instance:
        dg.materialize([orders], instance=instance, resources=resources)
        result = dg.materialize([orders, total_quantity], instance=instance, resources=resources)

    assert result.output_for_node("total_quantity") == 10
    [materialization] = [
        e.materialization for e in result.get_asset_materialization_events() if e.asset_key.path == ["orders"]
    ]
    assert materialization.metadata["row_count"].value == 2
    assert materialization.metadata["manifest"].value == str(tmp_path / "orders" / "manifest.json")
