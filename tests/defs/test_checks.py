"""Each data-quality check fails on the bad data it exists to catch."""

from datetime import datetime

import dagster as dg
import pandas as pd

from bookshop.defs.analytics import (
    daily_revenue_not_negative,
    top_authors_revenue_not_negative,
    user_stats_spend_not_negative,
)
from bookshop.defs.sources import orders_recency
from bookshop.defs.transforms import (
    orders_cleaned_quantities_positive_prices_not_negative,
    orders_cleaned_references_resolve,
    users_cleaned_emails_unique,
)


def test_emails_must_be_present_and_unique():
    good = pd.DataFrame({"id": [1, 2], "email": ["a@x.example", "b@x.example"]})
    bad = pd.DataFrame({"id": [1, 2, 3], "email": ["a@x.example", "a@x.example", None]})

    assert users_cleaned_emails_unique(good).passed
    result = users_cleaned_emails_unique(bad)
    assert not result.passed
    assert (result.metadata["missing_emails"].value, result.metadata["duplicated_emails"].value) == (1, 1)


def test_order_quantities_must_be_positive_and_prices_not_negative():
    free_copy = pd.DataFrame({"quantity": [1], "unit_price_cents": [0]})
    bad = pd.DataFrame({"quantity": [1, 0, 2], "unit_price_cents": [100, 100, -1]})

    assert orders_cleaned_quantities_positive_prices_not_negative(free_copy).passed
    assert orders_cleaned_quantities_positive_prices_not_negative(bad).metadata["bad_orders"].value == 2


def test_order_references_must_resolve():
    orders = pd.DataFrame({"user_id": [1, 2], "book_id": [10, 11]})
    users = pd.DataFrame({"id": [1]})
    books = pd.DataFrame({"id": [10, 11]})

    result = orders_cleaned_references_resolve(orders, users, books)

    assert not result.passed
    assert (result.metadata["unknown_users"].value, result.metadata["unknown_books"].value) == (1, 0)
    assert orders_cleaned_references_resolve(orders, pd.DataFrame({"id": [1, 2]}), books).passed


def test_figures_must_not_be_negative():
    assert not user_stats_spend_not_negative(pd.DataFrame({"spend_cents": [5, -1]})).passed
    assert not top_authors_revenue_not_negative(pd.DataFrame({"revenue_cents": [-5]})).passed
    assert not daily_revenue_not_negative(pd.DataFrame({"revenue_cents": [0, -2]})).passed
    assert daily_revenue_not_negative(pd.DataFrame({"revenue_cents": [0, 2]})).passed


def test_orders_must_keep_arriving():
    now = datetime(2026, 3, 2, 12, 0)

    assert orders_recency("2026-03-02 11:55:00", now).passed
    assert orders_recency("2026-03-01 12:00:01", now).passed
    silent = orders_recency("2026-03-01 11:00:00", now)
    assert not silent.passed
    assert silent.severity == dg.AssetCheckSeverity.WARN
    assert silent.metadata["age_hours"].value == 25.0
    assert not orders_recency("", now).passed
