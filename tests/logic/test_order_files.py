import pandas as pd
import pytest

from bookshop.logic import order_files
from bookshop.logic.order_files import InvalidOrderFile, parse_order_file

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"


def test_a_good_file_is_parsed_with_exact_cents_and_utc_times():
    text = HEADER + "1,2,3,4,19.99,2026-11-01T10:00:00Z\n2, 5 ,6,1,0.1,2026-11-01 11:30:00\n"

    orders = parse_order_file("orders.csv", text.encode())

    assert orders.to_dict("list") == {
        "order_id": [1, 2],
        "user_id": [2, 5],
        "book_id": [3, 6],
        "quantity": [4, 1],
        "unit_price_cents": [1999, 10],
        "created_at": [pd.Timestamp("2026-11-01 10:00:00"), pd.Timestamp("2026-11-01 11:30:00")],
    }
    assert orders["user_id"].dtype == "int64"


def test_the_int64_extremes_are_whole_numbers_kept_exactly_and_a_byte_order_mark_is_allowed():
    text = "\ufeff" + HEADER + "9223372036854775807,-9223372036854775808,+3,1,1.00,2026-11-01\n"

    orders = parse_order_file("edge.csv", text.encode())

    assert orders[["order_id", "user_id", "book_id"]].values.tolist() == [[2**63 - 1, -(2**63), 3]]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"order_id,user_id,book_id,quantity,created_at\n1,2,3,4,2026-11-01\n", "missing required column(s) unit_pr"),
        ((HEADER.strip() + ",coupon\n1,2,3,4,1.00,2026-11-01,X\n").encode(), "unexpected column(s) coupon"),
        (HEADER.encode(), "has a header but no orders"),
        (b"", "not a readable CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file (it contains NUL bytes)"),
        (HEADER.encode() + "1,2,3,1,1.00,2026-11-01,Müller\n".encode("latin-1"), "not UTF-8 text (byte 0xfc"),
        ((HEADER + "1,2,3,four,1.00,2026-11-01\n").encode(), "row 2, column quantity: 'four' is not a whole number"),
        ((HEADER + "1,2,3,1.5,1.00,2026-11-01\n").encode(), "row 2, column quantity: '1.5' is not a whole number"),
        ((HEADER + "1,2,3,1e3,1.00,2026-11-01\n").encode(), "row 2, column quantity: '1e3' is not a whole number"),
        (
            (HEADER + "1,99999999999999999999,3,1,1.00,2026-11-01\n").encode(),
            "row 2, column user_id: '99999999999999999999' is outside the 64-bit integer range",
        ),
        (
            (HEADER + "9223372036854775808,2,3,1,1.00,2026-11-01\n").encode(),
            "row 2, column order_id: '9223372036854775808' is outside the 64-bit integer range",
        ),
        ((HEADER + "1,2,3,1,1.999,2026-11-01\n").encode(), "row 2, column unit_price: '1.999' is not an amount"),
        ((HEADER + "1,2,3,1,NaN,2026-11-01\n").encode(), "row 2, column unit_price: 'NaN' is not an amount"),
        ((HEADER + "1,2,3,1,Infinity,2026-11-01\n").encode(), "row 2, column unit_price: 'Infinity' is not an amount"),
        ((HEADER + "1,2,3,1,1E+1000000,2026-11-01\n").encode(), "row 2, column unit_price: value out of range"),
        ((HEADER + "1,2,3,1,-1E+1000000,2026-11-01\n").encode(), "row 2, column unit_price: value out of range"),
        ((HEADER + "1,2,3,1,1E-1000000,2026-11-01\n").encode(), "row 2, column unit_price: '1E-1000000' is not an"),
        ((HEADER + "1,2,3,1,1.00,yesterday\n").encode(), "row 2, column created_at: 'yesterday' is not an ISO 8601"),
        ((HEADER + "1,2,3,1,1.00,99999-01-01\n").encode(), "row 2, column created_at: '99999-01-01' is not an ISO"),
        (
            (HEADER + "1,2,3,1,1.00,2026-11-01\n2,2,3,0,1.00,2026-11-01\n").encode(),
            "row 3, column quantity: value out of range",
        ),
        ((HEADER + "1,2,3,1,-1.00,2026-11-01\n").encode(), "row 2, column unit_price: value out of range"),
        ((HEADER + "7,2,3,1,1.00,2026-11-01\n7,2,3,1,1.00,2026-11-01\n").encode(), "order_id 7 appears more than once"),
        (b'order_id,"user_id\n1,2', "not a readable CSV file"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_and_problem(content, problem):
    with pytest.raises(InvalidOrderFile) as refused:
        parse_order_file("partner-feed.csv", content)

    assert str(refused.value).startswith("partner-feed.csv: ")
    assert problem in str(refused.value)


def test_size_limits_are_enforced(monkeypatch):
    content = (HEADER + "1,2,3,1,1.00,2026-11-01\n2,2,3,1,1.00,2026-11-01\n").encode()

    monkeypatch.setattr(order_files, "MAX_ROWS", 1)
    with pytest.raises(InvalidOrderFile, match="2 rows is more than the limit of 1"):
        parse_order_file("big.csv", content)

    monkeypatch.setattr(order_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(InvalidOrderFile, match=f"{len(content)} bytes is more than the limit of 10"):
        parse_order_file("big.csv", content)
