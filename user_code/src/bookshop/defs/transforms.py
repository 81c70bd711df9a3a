"""Cleaned users and orders: invalid rows dropped and counted, nothing silently kept."""

import dagster as dg
import pandas as pd

from bookshop.asset_groups import TRANSFORMS
from bookshop.defs.incoming.assets import incoming_orders
from bookshop.incoming_files import IncomingOrderFiles
from bookshop.logic.cleaning import clean_orders, clean_users, with_landed_orders
from bookshop.metadata import frame_output


@TRANSFORMS.asset()
def users_cleaned(mysql_users: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Users with a normalised, valid, unique email; dropped rows counted by reason."""
    cleaned = clean_users(mysql_users)
    return frame_output(cleaned.frame, **{f"dropped_{rule}": count for rule, count in cleaned.dropped.items()})


@dg.asset_check(asset=users_cleaned, blocking=True, description="Every email is present and unique.")
def users_cleaned_emails_unique(users_cleaned: pd.DataFrame) -> dg.AssetCheckResult:
    missing = int(users_cleaned["email"].isna().sum())
    duplicated = int(users_cleaned["email"].dropna().duplicated().sum())
    return dg.AssetCheckResult(
        passed=missing == 0 and duplicated == 0,
        metadata={"missing_emails": missing, "duplicated_emails": duplicated},
    )


@TRANSFORMS.asset(deps=[incoming_orders])
def orders_cleaned(
    mysql_orders: pd.DataFrame, users_cleaned: pd.DataFrame, mysql_books: pd.DataFrame, incoming: IncomingOrderFiles
) -> dg.Output[pd.DataFrame]:
    """Orders from MySQL and dropped files with a positive quantity, a price of 0 or more, a known user and book."""
    # Landed orders meet the same rules as MySQL's; an order id MySQL has stays MySQL's (the file's
    # row is counted in landed_conflicts_with_mysql). Dropped rows are counted by reason.
    orders, landed = with_landed_orders(mysql_orders, incoming.landed_orders.read_all())
    cleaned = clean_orders(orders, users_cleaned["id"], mysql_books["id"])
    dropped = {f"dropped_{rule}": count for rule, count in cleaned.dropped.items()}
    return frame_output(cleaned.frame, **dropped, **landed)


@dg.asset_check(
    asset=orders_cleaned,
    blocking=True,
    description="Every order has a quantity of 1 or more and a unit price of 0 or more (0: a free copy).",
)
def orders_cleaned_quantities_positive_prices_not_negative(orders_cleaned: pd.DataFrame) -> dg.AssetCheckResult:
    bad = int(((orders_cleaned["quantity"] <= 0) | (orders_cleaned["unit_price_cents"] < 0)).sum())
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad_orders": bad})


@dg.asset_check(
    asset=orders_cleaned,
    blocking=True,
    additional_ins={"users_cleaned": dg.AssetIn(), "mysql_books": dg.AssetIn()},
    description="Every order points at a cleaned user and an existing book.",
)
def orders_cleaned_references_resolve(
    orders_cleaned: pd.DataFrame, users_cleaned: pd.DataFrame, mysql_books: pd.DataFrame
) -> dg.AssetCheckResult:
    unknown_users = int((~orders_cleaned["user_id"].isin(users_cleaned["id"])).sum())
    unknown_books = int((~orders_cleaned["book_id"].isin(mysql_books["id"])).sum())
    return dg.AssetCheckResult(
        passed=unknown_users == 0 and unknown_books == 0,
        metadata={"unknown_users": unknown_users, "unknown_books": unknown_books},
    )
