"""The pipeline's headline figures computed a second, independent way: in SQL, on the source tables."""

from decimal import Decimal

from sqlalchemy import Engine, text

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
