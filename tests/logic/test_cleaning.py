import pandas as pd

from bookshop.logic.cleaning import clean_orders, clean_users, with_landed_orders


def test_clean_users_normalises_drops_and_counts_each_dirty_case():
    users = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8],
            "email": [
                "Ann@Shop.example",
                None,
                "   ",
                "no-at-sign.example",
                "two@@signs.example",
                "  ANN@shop.example ",
                "bob@shop.example",
                "bob@shop",
            ],
        }
    )

    cleaned = clean_users(users)

    assert cleaned.frame.to_dict("list") == {"id": [1, 7], "email": ["ann@shop.example", "bob@shop.example"]}
    assert cleaned.dropped == {"missing_email": 2, "malformed_email": 3, "duplicate_email": 1}


def test_clean_users_keeps_the_oldest_of_duplicates_whatever_the_row_order():
    users = pd.DataFrame({"id": [9, 3], "email": ["X@shop.example", "x@shop.example"]})

    assert clean_users(users).frame["id"].tolist() == [3]


def test_clean_orders_drops_bad_amounts_and_dangling_references_once_each():
    orders = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "user_id": [1, 1, 1, 99, 1, 99, 1, 99, 1],
            "book_id": [10, 10, 10, 10, 77, 77, 10, 10, 10],
            "quantity": [2, 0, -3, 1, 1, 0, 1, 1, 0],
            "unit_price_cents": [999, 999, 999, 999, 999, 999, -1, -1, -1],
        }
    )

    cleaned = clean_orders(orders, user_ids=pd.Series([1]), book_ids=pd.Series([10]))

    assert cleaned.frame["id"].tolist() == [1]
    assert cleaned.dropped == {
        "non_positive_quantity": 4,
        "negative_unit_price": 2,
        "unknown_user": 1,
        "unknown_book": 1,
    }


def test_clean_orders_keeps_free_copies():
    orders = pd.DataFrame({"id": [1], "user_id": [1], "book_id": [10], "quantity": [1], "unit_price_cents": [0]})

    cleaned = clean_orders(orders, user_ids=pd.Series([1]), book_ids=pd.Series([10]))

    assert cleaned.frame["id"].tolist() == [1]
    assert sum(cleaned.dropped.values()) == 0


def mysql_orders(ids):
    """Orders as mysql_orders holds them: one copy of book 1 for user 1 at 1.00 each."""
    count = len(ids)
    created = pd.to_datetime(["2026-11-01"] * count)
    return pd.DataFrame(
        {
            "id": ids,
            "user_id": [1] * count,
            "book_id": [1] * count,
            "quantity": [1] * count,
            "unit_price_cents": [100] * count,
            "created_at": created,
            "updated_at": created,
        }
    )


def test_landed_orders_join_mysql_orders_and_mysql_wins_an_order_id_both_have():
    mysql = mysql_orders([1, 2])
    columns = ["order_id", "user_id", "book_id", "quantity", "unit_price_cents", "created_at", "source_file"]
    rows = [
        (2, 9, 9, 5, 999, "2026-11-03", "a.csv"),
        (10, 2, 2, 1, 250, "2026-11-04", "a.csv"),
        (11, 3, 3, 2, 300, "2026-11-05", "b.csv"),
        (10, 4, 4, 3, 400, "2026-11-06", "c.csv"),
    ]
    landed = pd.DataFrame(rows, columns=columns).assign(created_at=lambda frame: pd.to_datetime(frame["created_at"]))

    combined, counts = with_landed_orders(mysql, landed)

    assert combined[["id", "user_id", "quantity", "unit_price_cents"]].values.tolist() == [
        [1, 1, 1, 100],
        [2, 1, 1, 100],
        [10, 2, 1, 250],
        [11, 3, 2, 300],
    ]
    assert combined["updated_at"].tolist()[2:] == combined["created_at"].tolist()[2:]
    assert list(combined.columns) == list(mysql.columns)
    assert counts == {"landed_orders": 2, "landed_conflicts_with_mysql": 1, "landed_repeated_in_files": 1}


def test_landed_orders_meet_the_same_cleaning_rules_as_mysql_orders():
    mysql = mysql_orders([1])
    landed = pd.DataFrame(
        {
            "order_id": [5, 6],
            "user_id": [1, 404],
            "book_id": [1, 1],
            "quantity": [2, 1],
            "unit_price_cents": [300, 300],
            "created_at": pd.to_datetime(["2026-11-03", "2026-11-04"]),
            "source_file": ["a.csv", "a.csv"],
        }
    )

    combined, _ = with_landed_orders(mysql, landed)
    cleaned = clean_orders(combined, pd.Series([1]), pd.Series([1]))

    assert cleaned.frame["id"].tolist() == [1, 5]
    assert cleaned.dropped["unknown_user"] == 1
