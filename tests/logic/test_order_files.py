import pandas as pd
import pytest

from bookshop.logic import order_files
from bookshop.logic.order_files import InvalidOrderFile, read_order_file

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"


def write(tmp_path, text, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_file_is_parsed_with_exact_cents_and_utc_times(tmp_path):
    path = write(tmp_path, HEADER + "1,2,3,4,19.99,2026-11-01T10:00:00Z\n2, 5 ,6,1,0.1,2026-11-01 11:30:00\n")

    orders = read_order_file(path)

    assert orders.to_dict("list") == {
        "order_id": [1, 2],
        "user_id": [2, 5],
        "book_id": [3, 6],
        "quantity": [4, 1],
        "unit_price_cents": [1999, 10],
        "created_at": [pd.Timestamp("2026-11-01 10:00:00"), pd.Timestamp("2026-11-01 11:30:00")],
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("order_id,user_id,book_id,quantity,created_at\n1,2,3,4,2026-11-01\n", "missing required column(s) unit_price"),
        (HEADER.strip() + ",coupon\n1,2,3,4,1.00,2026-11-01,X\n", "unexpected column(s) coupon"),
        (HEADER, "has a header but no orders"),
        ("", "not a readable CSV file"),
        (HEADER + "1,2,3,four,1.00,2026-11-01\n", "row 2, column quantity: 'four' is not a whole number"),
        (HEADER + "1,2,3,1.5,1.00,2026-11-01\n", "row 2, column quantity: '1.5' is not a whole number"),
        (HEADER + "1,2,3,1,1.999,2026-11-01\n", "row 2, column unit_price: '1.999' is not an amount"),
        (HEADER + "1,2,3,1,NaN,2026-11-01\n", "row 2, column unit_price: 'NaN' is not an amount"),
        (HEADER + "1,2,3,1,1.00,yesterday\n", "row 2, column created_at: 'yesterday' is not an ISO 8601 time"),
        (HEADER + "1,2,3,1,1.00,2026-11-01\n2,2,3,0,1.00,2026-11-01\n", "row 3, column quantity: value out of range"),
        (HEADER + "1,2,3,1,-1.00,2026-11-01\n", "row 2, column unit_price: value out of range"),
        (HEADER + "7,2,3,1,1.00,2026-11-01\n7,2,3,1,1.00,2026-11-01\n", "order_id 7 appears more than once"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text, name="partner-feed.csv")

    with pytest.raises(InvalidOrderFile) as refused:
        read_order_file(path)

    assert str(refused.value).startswith("partner-feed.csv: ")
    assert problem in str(refused.value)


def test_size_limits_are_enforced(tmp_path, monkeypatch):
    path = write(tmp_path, HEADER + "1,2,3,1,1.00,2026-11-01\n2,2,3,1,1.00,2026-11-01\n")

    monkeypatch.setattr(order_files, "MAX_ROWS", 1)
    with pytest.raises(InvalidOrderFile, match="2 rows is more than the limit of 1"):
        read_order_file(path)

    monkeypatch.setattr(order_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(InvalidOrderFile, match="bytes is more than the limit of 10"):
        read_order_file(path)
