"""Validation of order files dropped into the incoming directory."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


COLUMNS = ("order_id", "user_id", "book_id", "quantity", "unit_price", "created_at")
INTEGER_COLUMNS = ("order_id", "user_id", "book_id", "quantity")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_UNIT_PRICE_CENTS = 100_000_00


class InvalidOrderFile(ValueError):
    """An order file that must not be loaded; the message says what is wrong with it."""


def read_order_file(path: Path) -> pd.DataFrame:
    """Parse and validate an order CSV; return it with unit_price as integer cents.

    Raises InvalidOrderFile naming the file and the first problem found.
    """
    import pandas as pd

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidOrderFile(f"{path.name}: {size} bytes is more than the limit of {MAX_FILE_BYTES}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InvalidOrderFile(f"{path.name}: not a readable CSV file ({error})") from error
    _check_shape(path.name, raw)
    frame = pd.DataFrame({column: _integers(path.name, raw, column) for column in INTEGER_COLUMNS})
    frame["unit_price_cents"] = [_cents(path.name, row, text) for row, text in enumerate(raw["unit_price"], start=2)]
    frame["created_at"] = _timestamps(path.name, raw["created_at"])
    _check_ranges(path.name, frame)
    return frame


def _check_shape(name: str, raw: pd.DataFrame) -> None:
    missing = [column for column in COLUMNS if column not in raw.columns]
    if missing:
        raise InvalidOrderFile(
            f"{name}: missing required column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
        )
    unexpected = [column for column in raw.columns if column not in COLUMNS]
    if unexpected:
        raise InvalidOrderFile(f"{name}: unexpected column(s) {', '.join(unexpected)}; expected {', '.join(COLUMNS)}")
    if raw.empty:
        raise InvalidOrderFile(f"{name}: has a header but no orders")
    if len(raw) > MAX_ROWS:
        raise InvalidOrderFile(f"{name}: {len(raw)} rows is more than the limit of {MAX_ROWS}")
    duplicated = raw["order_id"][raw["order_id"].duplicated()]
    if not duplicated.empty:
        raise InvalidOrderFile(f"{name}: order_id {duplicated.iloc[0]} appears more than once")


def _integers(name: str, raw: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    values = pd.to_numeric(raw[column].str.strip(), errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        row = int(bad.idxmax())
        raise InvalidOrderFile(
            f"{name}: row {row + 2}, column {column}: {raw[column].iloc[row]!r} is not a whole number"
        )
    return values.astype("int64")


def _cents(name: str, row: int, text: str) -> int:
    try:
        price = Decimal(text.strip())
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise InvalidOrderFile(
            f"{name}: row {row}, column unit_price: {text!r} is not an amount with at most 2 decimals"
        )
    return int(price * 100)


def _timestamps(name: str, texts: pd.Series) -> pd.Series:
    import pandas as pd

    values = pd.to_datetime(texts.str.strip(), errors="coerce", format="ISO8601", utc=True)
    if values.isna().any():
        row = int(values.isna().idxmax())
        raise InvalidOrderFile(f"{name}: row {row + 2}, column created_at: {texts.iloc[row]!r} is not an ISO 8601 time")
    return values.dt.tz_localize(None)


def _check_ranges(name: str, frame: pd.DataFrame) -> None:
    rules = {
        "order_id": frame["order_id"] > 0,
        "quantity": frame["quantity"] > 0,
        "unit_price": frame["unit_price_cents"].between(0, MAX_UNIT_PRICE_CENTS),
    }
    for column, ok in rules.items():
        if not ok.all():
            row = int((~ok).idxmax())
            raise InvalidOrderFile(f"{name}: row {row + 2}, column {column}: value out of range")
