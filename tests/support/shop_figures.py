"""The pipeline's headline figures computed a second, independent way: in SQL, on the source tables."""

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import URL, Engine, create_engine, text

from support.stack import Stack

# The cleaning rules restated in SQL: a valid email, normalised; the oldest user of each email.
CLEAN_USERS = """
    SELECT MIN(id) AS id, LOWER(TRIM(email)) AS email FROM users
    WHERE LOWER(TRIM(email)) REGEXP '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'
    GROUP BY LOWER(TRIM(email))
"""
CLEAN_ORDERS = f"""
    SELECT o.*, b.author_id FROM orders o
    JOIN ({CLEAN_USERS}) u ON u.id = o.user_id
    JOIN books b ON b.id = o.book_id
    WHERE o.quantity > 0 AND o.unit_price >= 0
"""


def shop_figures(engine: Engine) -> dict[str, object]:
    """Row counts after cleaning, the top author and their revenue, and user 1's spend."""
    with engine.connect() as connection:

        def one(sql: str) -> tuple:
            return tuple(connection.execute(text(sql)).one())

        top_author_id, top_author_revenue = one(
            f"SELECT author_id, SUM(quantity * unit_price) AS revenue FROM ({CLEAN_ORDERS}) c"
            " GROUP BY author_id ORDER BY revenue DESC, author_id LIMIT 1"
        )
        return {
            "users_cleaned": one(f"SELECT COUNT(*) FROM ({CLEAN_USERS}) u")[0],
            "orders_cleaned": one(f"SELECT COUNT(*) FROM ({CLEAN_ORDERS}) c")[0],
            "top_author_id": top_author_id,
            "top_author_revenue": Decimal(top_author_revenue),
            "user_1_spend": Decimal(
                one(f"SELECT SUM(quantity * unit_price) FROM ({CLEAN_ORDERS}) c WHERE user_id = 1")[0]
            ),
            "total_revenue": Decimal(one(f"SELECT SUM(quantity * unit_price) FROM ({CLEAN_ORDERS}) c")[0]),
        }


def reader_engine(stack: Stack) -> Engine:
    """A running stack's MySQL (its test port), as the pipeline's SELECT-only account."""
    host, port = stack.mysql_address()
    return create_engine(
        URL.create("mysql+pymysql", "bookshop_reader", stack.env["MYSQL_READER_PASSWORD"], host, port, "shop")
    )


def stack_figures(stack: Stack) -> dict[str, object]:
    """The figures from a running stack's MySQL."""
    engine = reader_engine(stack)
    try:
        return shop_figures(engine)
    finally:
        engine.dispose()


def assert_exports_hold_the_figures(read_export: Callable[[str], str], figures: dict[str, object]) -> None:
    """The two CSV exports, read by name (`top_authors.csv`), against the figures SQL computes."""
    top_authors = list(csv.DictReader(io.StringIO(read_export("top_authors.csv"))))
    user_stats = {row["user_id"]: row for row in csv.DictReader(io.StringIO(read_export("user_stats.csv")))}

    assert top_authors[0]["rank"] == "1"
    assert int(top_authors[0]["author_id"]) == figures["top_author_id"]
    assert Decimal(top_authors[0]["revenue"]) == figures["top_author_revenue"]
    assert sum(Decimal(row["revenue"]) for row in top_authors) == figures["total_revenue"]
    assert Decimal(user_stats["1"]["spend"]) == figures["user_1_spend"]
    assert len(user_stats) == figures["users_cleaned"]
