import pandas as pd

from bookshop.logic.incremental import merge_changed_rows


def test_changed_rows_replace_their_old_version_and_new_rows_are_added_in_key_order():
    stored = pd.DataFrame({"id": [1, 2, 3], "quantity": [1, 1, 1]}).astype("int64")
    changed = pd.DataFrame({"id": [4, 2], "quantity": [7, 5]}).astype("int32")

    merged = merge_changed_rows(stored, changed)

    assert merged.to_dict("list") == {"id": [1, 2, 3, 4], "quantity": [1, 5, 1, 7]}
    assert merged.dtypes.to_dict() == stored.dtypes.to_dict()


def test_nothing_changed_leaves_the_stored_rows():
    stored = pd.DataFrame({"id": [1, 2], "quantity": [3, 4]})

    assert merge_changed_rows(stored, stored.iloc[0:0]).equals(stored)
