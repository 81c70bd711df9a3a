import pandas as pd

from bookshop.logic.cleaning import clean_orders, clean_users


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
