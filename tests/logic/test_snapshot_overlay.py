import pandas as pd

from bookshop.logic.incremental import apply_changes, current_rows, row_count_after

SNAPSHOT = pd.DataFrame({"id": [1, 2, 3, 4], "quantity": [1, 1, 1, 1]}).astype("int64")
EMPTY = SNAPSHOT.iloc[0:0]


def test_changed_rows_replace_their_old_version_and_new_rows_are_added_in_key_order():
    changed = pd.DataFrame({"id": [5, 2], "quantity": [7, 5]}).astype("int32")

    overlay, deleted = apply_changes(EMPTY, [], changed, [])

    assert overlay.to_dict("list") == {"id": [2, 5], "quantity": [5, 7]}
    assert overlay.dtypes.to_dict() == SNAPSHOT.dtypes.to_dict()
    assert deleted == []
    table = current_rows(SNAPSHOT, overlay, deleted)
    assert table.to_dict("list") == {"id": [1, 2, 3, 4, 5], "quantity": [1, 5, 1, 1, 7]}
    assert table.dtypes.to_dict() == SNAPSHOT.dtypes.to_dict()


def test_refreshes_accumulate_and_the_latest_version_of_a_row_wins():
    overlay, deleted = apply_changes(EMPTY, [], pd.DataFrame({"id": [2], "quantity": [5]}), [])
    overlay, deleted = apply_changes(overlay, deleted, pd.DataFrame({"id": [2, 3], "quantity": [6, 9]}), [])

    assert current_rows(SNAPSHOT, overlay, deleted)["quantity"].tolist() == [1, 6, 9, 1]


def test_deleted_rows_disappear_from_snapshot_and_overlay():
    overlay, deleted = apply_changes(EMPTY, [], pd.DataFrame({"id": [5], "quantity": [2]}), [])
    overlay, deleted = apply_changes(overlay, deleted, EMPTY, [1, 5])

    assert deleted == [1, 5]
    assert overlay.empty
    assert current_rows(SNAPSHOT, overlay, deleted)["id"].tolist() == [2, 3, 4]


def test_a_row_read_as_changed_exists_whatever_was_deleted_before():
    overlay, deleted = apply_changes(EMPTY, [3], pd.DataFrame({"id": [3, 4], "quantity": [8, 8]}), [4])

    assert deleted == []
    assert current_rows(SNAPSHOT, overlay, deleted).to_dict("list") == {"id": [1, 2, 3, 4], "quantity": [1, 1, 8, 8]}


def test_the_row_count_follows_each_refresh_from_the_ids_it_touched_alone():
    overlay, deleted, count = EMPTY, [], len(SNAPSHOT)
    refreshes = [([2, 7], [1, 9]), ([7, 8], [2]), ([1], [7, 8, 4]), ([4, 2], [3])]  # (changed ids, deleted ids)
    for changed_ids, deleted_ids in refreshes:
        table = current_rows(SNAPSHOT, overlay, deleted)
        held_before = set(table["id"]) & (set(changed_ids) | set(deleted_ids))
        changed = pd.DataFrame({"id": changed_ids, "quantity": [5] * len(changed_ids)})
        overlay, deleted = apply_changes(overlay, deleted, changed, deleted_ids)

        count = row_count_after(count, held_before, set(changed_ids), set(deleted_ids))

        assert count == len(current_rows(SNAPSHOT, overlay, deleted)), (changed_ids, deleted_ids)
    assert count == 3  # 1, 2 and 4


def test_nothing_changed_leaves_the_snapshot():
    assert current_rows(SNAPSHOT, EMPTY, []) is SNAPSHOT
