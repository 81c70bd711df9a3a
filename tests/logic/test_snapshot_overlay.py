import pandas as pd

from bookshop.logic.incremental import apply_changes, count_rows, current_rows

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


def test_the_row_count_from_ids_alone_matches_the_rows():
    overlay, deleted = apply_changes(EMPTY, [], pd.DataFrame({"id": [2, 7], "quantity": [5, 5]}), [1, 9])
    gone = [1, 2]  # the snapshot's ids among the overlay's (2, 7) and the deleted ones (1, 9)

    assert count_rows(len(SNAPSHOT), gone, overlay["id"]) == len(current_rows(SNAPSHOT, overlay, deleted)) == 4


def test_nothing_changed_leaves_the_snapshot():
    assert current_rows(SNAPSHOT, EMPTY, []) is SNAPSHOT
