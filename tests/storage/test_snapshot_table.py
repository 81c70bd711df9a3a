import os
import time
from datetime import timedelta

import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from bookshop.storage.atomic import ChangedSinceRead
from bookshop.storage.snapshot_table import SnapshotTable, SnapshotTableIOManager, SnapshotTables, TableRefresh

ORDERS = pd.DataFrame({"id": [1, 2, 3], "quantity": [1, 1, 1]})
HOUR = 3600


def parquet_files(table: SnapshotTable) -> set[str]:
    return {path.name for path in table.folder.glob("*.parquet")}


def age(path, seconds: float) -> None:
    """Make a file look `seconds` old."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_full_refresh_then_changes_read_back_as_the_current_table(tmp_path):
    table = SnapshotTable(UPath(tmp_path) / "orders")
    first = table.replace(ORDERS, "2026-01-01 00:00:00", based_on=None)

    manifest = table.apply(pd.DataFrame({"id": [2, 4], "quantity": [5, 5]}), [1], "2026-01-02 00:00:00", first)

    assert table.read().to_dict("list") == {"id": [2, 3, 4], "quantity": [5, 1, 5]}
    assert (manifest.row_count, manifest.high_watermark, manifest.deleted_ids) == (3, "2026-01-02 00:00:00", [1])
    assert table.manifest() == manifest


def test_the_stored_row_count_stays_the_rows_over_refreshes_that_touch_the_overlay_and_the_snapshot(tmp_path):
    table = SnapshotTable(UPath(tmp_path) / "orders")
    manifest = table.replace(ORDERS, "2026-01-01 00:00:00", based_on=None)
    # (changed ids, deleted ids): new ids, ids already in the overlay, deleted ones coming back, unknown deletes
    for changed_ids, deleted_ids in [([2, 4], [1]), ([4, 5], [3, 9]), ([1, 3], [4]), ([4], [5, 2])]:
        changed = pd.DataFrame({"id": changed_ids, "quantity": [7] * len(changed_ids)})

        manifest = table.apply(changed, deleted_ids, "2026-01-02 00:00:00", manifest)

        assert manifest.row_count == len(table.read()), (changed_ids, deleted_ids)
    assert table.read()["id"].tolist() == [1, 3, 4]


def test_a_commit_over_a_manifest_changed_since_the_read_fails_and_keeps_the_newer_table(tmp_path):
    table = SnapshotTable(UPath(tmp_path))
    first = table.replace(ORDERS, "2026-01-01 00:00:00", based_on=None)
    newer = table.apply(ORDERS.iloc[0:1], [], "2026-01-02 00:00:00", first)

    with pytest.raises(ChangedSinceRead, match="replaced by another writer"):
        table.apply(ORDERS.iloc[1:2], [], "2026-01-01 12:00:00", first)  # a writer that read `first`
    with pytest.raises(ChangedSinceRead):
        table.replace(ORDERS, "2026-01-01 12:00:00", based_on=None)  # one that found no table at all

    assert table.manifest() == newer
    assert table.read().to_dict("list") == ORDERS.to_dict("list")


def test_garbage_is_removed_only_once_old_and_never_the_overlay_of_a_writer_still_committing(tmp_path):
    table = SnapshotTable(UPath(tmp_path))
    first = table.replace(ORDERS, None, based_on=None)
    second = table.apply(ORDERS.iloc[0:1], [], None, first)
    for name in (first.snapshot, first.overlay, second.overlay):
        age(tmp_path / name, 2 * HOUR)
    (tmp_path / "overlay-left-by-a-failed-run.parquet").write_bytes(b"")
    age(tmp_path / "overlay-left-by-a-failed-run.parquet", 2 * HOUR)
    (tmp_path / ".overlay-x.parquet.abc123.partial").write_bytes(b"")
    age(tmp_path / ".overlay-x.parquet.abc123.partial", 2 * HOUR)
    # A concurrent writer has written its overlay and is about to commit it: it is young.
    concurrent = table.write_file(ORDERS.iloc[2:3], "overlay-concurrent.parquet")

    third = table.apply(ORDERS.iloc[1:2], [], None, second)

    assert parquet_files(table) == {third.snapshot, third.overlay, second.overlay, concurrent}
    assert not list(tmp_path.glob(".*.partial"))
    assert first.overlay not in parquet_files(table)


def test_the_concurrent_overlay_survives_and_commits_when_it_was_built_on_the_current_manifest(tmp_path):
    """Two writers both read `first`; one commits (and collects garbage); the other's files are still there."""
    table = SnapshotTable(UPath(tmp_path), keep_unreferenced=timedelta(seconds=0.5))
    first = table.replace(ORDERS, None, based_on=None)
    slow_overlay = table.write_file(pd.DataFrame({"id": [3], "quantity": [9]}), "overlay-slow.parquet")

    fast = table.apply(pd.DataFrame({"id": [1], "quantity": [7]}), [], None, first)

    assert slow_overlay in parquet_files(table)  # younger than keep_unreferenced
    with pytest.raises(ChangedSinceRead):
        table.commit(first.__class__(first.snapshot, slow_overlay, [], 3, None), based_on=first)
    assert table.manifest() == fast
    assert table.read().to_dict("list") == {"id": [1, 2, 3], "quantity": [7, 1, 1]}


def test_changes_need_a_stored_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="never stored in full"):
        SnapshotTable(UPath(tmp_path)).apply(ORDERS, [], None, based_on=None)


def test_the_io_manager_stores_refreshes_and_loads_the_whole_table(tmp_path):
    @dg.asset(io_manager_key="table_io")
    def orders(tables: SnapshotTables) -> TableRefresh:
        stored = tables.manifest(dg.AssetKey("orders"))
        rows = ORDERS if stored is None else pd.DataFrame({"id": [3], "quantity": [9]})
        return TableRefresh(
            rows, "2026-01-01 00:00:00", full=stored is None, based_on=stored, deleted_ids=[1] if stored else []
        )

    @dg.asset
    def total_quantity(orders: pd.DataFrame) -> int:
        return int(orders["quantity"].sum())

    tables = SnapshotTables(base_path=str(tmp_path))
    resources = {"tables": tables, "table_io": SnapshotTableIOManager(tables=tables), "io_manager": dg.mem_io_manager}
    with dg.instance_for_test() as instance:
        dg.materialize([orders], instance=instance, resources=resources)
        result = dg.materialize([orders, total_quantity], instance=instance, resources=resources)

    assert result.output_for_node("total_quantity") == 10
    [materialization] = [
        e.materialization for e in result.get_asset_materialization_events() if e.asset_key.path == ["orders"]
    ]
    assert materialization.metadata["row_count"].value == 2
    assert materialization.metadata["manifest"].value == str(tmp_path / "orders" / "manifest.json")
    assert tables.manifest(dg.AssetKey("orders")).row_count == 2


def test_ids_held_reads_only_the_row_groups_whose_id_range_can_hold_them(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bookshop.storage.snapshot_table import may_hold

    table = SnapshotTable(UPath(tmp_path))
    ids = pa.table({"id": list(range(1, 101)), "quantity": [1] * 100})
    pq.write_table(ids, tmp_path / "sorted.parquet", row_group_size=10)  # ids 1-10, 11-20, ...
    shuffled = ids.take(list(range(99, -1, -2)) + list(range(0, 100, 2)))
    pq.write_table(shuffled, tmp_path / "shuffled.parquet", row_group_size=10)

    for name in ("sorted.parquet", "shuffled.parquet"):
        assert sorted(table.ids_held(name, [5, 55, 200]).tolist()) == [5, 55], name
    assert table.ids_held("sorted.parquet", []).tolist() == []
    groups = pq.ParquetFile(tmp_path / "sorted.parquet").metadata
    wanted = pd.Series([5, 55, 200]).to_numpy()
    assert [may_hold(groups.row_group(group).column(0).statistics, wanted) for group in range(10)] == [
        True, False, False, False, False, True, False, False, False, False,
    ]  # fmt: skip
