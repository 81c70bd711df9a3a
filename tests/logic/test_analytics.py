import pandas as pd

from bookshop.logic import analytics

USERS = pd.DataFrame({"id": [1, 2, 3], "email": ["a@x.example", "b@x.example", "c@x.example"]})
BOOKS = pd.DataFrame({"id": [10, 11, 12], "author_id": [100, 100, 200]})
AUTHORS = pd.DataFrame({"id": [100, 200, 300], "name": ["Ada", "Bea", "Cy"]})
ORDERS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "user_id": [1, 1, 2, 2],
        "book_id": [10, 12, 11, 12],
        "quantity": [2, 1, 3, 1],
        # 0.10 + 0.20 is not 0.30 in floats; in cents it is exact.
        "unit_price_cents": [10, 20, 1999, 1],
        "created_at": pd.to_datetime(["2026-01-01 08:00", "2026-01-01 23:59", "2026-01-02 00:00", "2026-01-03 12:00"]),
    }
)


def test_user_stats_sums_spend_exactly_and_keeps_users_without_orders():
    stats = analytics.user_stats(USERS, ORDERS).set_index("user_id")

    assert stats.loc[1, "spend_cents"] == 2 * 10 + 20
    assert stats.loc[2, "spend_cents"] == 3 * 1999 + 1
    assert stats.loc[2, "order_count"] == 2
    assert stats.loc[2, "first_order_at"] == pd.Timestamp("2026-01-02 00:00")
    assert stats.loc[2, "last_order_at"] == pd.Timestamp("2026-01-03 12:00")
    assert (stats.loc[3, "order_count"], stats.loc[3, "spend_cents"]) == (0, 0)


def test_top_authors_ranks_by_revenue_and_omits_authors_without_sales():
    ranked = analytics.top_authors(ORDERS, BOOKS, AUTHORS)

    assert ranked[["rank", "author_name", "order_count", "revenue_cents"]].values.tolist() == [
        [1, "Ada", 2, 20 + 5997],
        [2, "Bea", 2, 20 + 1],
    ]


def test_top_authors_breaks_ties_by_author_id():
    orders = ORDERS.assign(book_id=[10, 12, 10, 12], quantity=1, unit_price_cents=5)

    assert analytics.top_authors(orders, BOOKS, AUTHORS)["author_id"].tolist() == [100, 200]


def test_daily_revenue_groups_by_calendar_day():
    daily = analytics.daily_revenue(ORDERS)

    assert daily["day"].astype(str).tolist() == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert daily["revenue_cents"].tolist() == [40, 5997, 1]
    assert daily["order_count"].tolist() == [2, 1, 1]


def test_format_cents_is_exact_for_every_sign_and_size():
    cents = pd.Series([0, 5, -5, 100, 123456, -100001, 10**15 + 1])

    assert analytics.format_cents(cents).tolist() == [
        "0.00",
        "0.05",
        "-0.05",
        "1.00",
        "1234.56",
        "-1000.01",
        "10000000000000.01",
    ]
