"""Cleaning rules for the raw source tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# One @, something on each side, a dot in the domain, no whitespace.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True)
class Cleaned:
    """A cleaned frame and how many rows each rule dropped."""

    frame: pd.DataFrame
    dropped: dict[str, int]


def clean_users(users: pd.DataFrame) -> Cleaned:
    """Normalise emails, drop missing and malformed ones, keep the oldest of each duplicate."""
    users = users.assign(email=users["email"].str.strip().str.lower())
    missing = users["email"].isna() | (users["email"] == "")
    malformed = ~missing & ~users["email"].str.match(EMAIL_PATTERN, na=False)
    valid = users[~missing & ~malformed].sort_values("id")
    duplicate = valid["email"].duplicated(keep="first")
    return Cleaned(
        frame=valid[~duplicate].reset_index(drop=True),
        dropped={
            "missing_email": int(missing.sum()),
            "malformed_email": int(malformed.sum()),
            "duplicate_email": int(duplicate.sum()),
        },
    )


def clean_orders(orders: pd.DataFrame, user_ids: pd.Series, book_ids: pd.Series) -> Cleaned:
    """Drop orders with a quantity below 1, a negative unit price, or a user or book that does not exist.

    A unit price of 0 is a free copy (a giveaway) and is kept. Each dropped order is counted
    once, under the first rule it breaks.
    """
    bad_quantity = orders["quantity"] <= 0
    negative_price = ~bad_quantity & (orders["unit_price_cents"] < 0)
    bad_amount = bad_quantity | negative_price
    unknown_user = ~bad_amount & ~orders["user_id"].isin(user_ids)
    unknown_book = ~bad_amount & ~unknown_user & ~orders["book_id"].isin(book_ids)
    keep = ~(bad_amount | unknown_user | unknown_book)
    return Cleaned(
        frame=orders[keep].reset_index(drop=True),
        dropped={
            "non_positive_quantity": int(bad_quantity.sum()),
            "negative_unit_price": int(negative_price.sum()),
            "unknown_user": int(unknown_user.sum()),
            "unknown_book": int(unknown_book.sum()),
        },
    )


def with_landed_orders(orders: pd.DataFrame, landed: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """MySQL's orders plus the orders landed from files, before cleaning; and how many landed rows were left out.

    An order id MySQL has stays MySQL's: the file's row is left out and counted as a conflict.
    An order id in several landed files is taken once, from the first file read (files are read
    in the order of their content's sha256), the others counted as repeated.
    """
    import pandas as pd

    repeated = landed["order_id"].duplicated(keep="first")
    conflict = ~repeated & landed["order_id"].isin(orders["id"])
    kept = landed[~repeated & ~conflict]
    rows = kept.rename(columns={"order_id": "id"}).assign(updated_at=kept["created_at"])[list(orders.columns)]
    combined = pd.concat([orders, rows.astype(orders.dtypes.to_dict())], ignore_index=True)
    return combined, {
        "landed_orders": len(kept),
        "landed_conflicts_with_mysql": int(conflict.sum()),
        "landed_repeated_in_files": int(repeated.sum()),
    }
