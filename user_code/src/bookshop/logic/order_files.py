"""Validation of order files dropped into the incoming directory: bytes in, orders out, or a reason."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation

import pandas as pd

COLUMNS = ("order_id", "user_id", "book_id", "quantity", "unit_price", "created_at")
INTEGER_COLUMNS = ("order_id", "user_id", "book_id", "quantity")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_UNIT_PRICE_CENTS = 100_000_00
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
CENT = Decimal("0.01")
MAX_UNIT_PRICE = Decimal(MAX_UNIT_PRICE_CENTS) / 100


class InvalidOrderFile(ValueError):
    """An order file that must not be loaded; the message says what is wrong with it."""


def parse_order_file(name: str, content: bytes) -> pd.DataFrame:
    """Validate an order CSV's bytes; return its orders with unit_price as integer cents.

    Raises InvalidOrderFile naming the file and the first problem found.
    """
    if len(content) > MAX_FILE_BYTES:
        raise InvalidOrderFile(f"{name}: {len(content)} bytes is more than the limit of {MAX_FILE_BYTES}")
    text = _text(name, content)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InvalidOrderFile(f"{name}: not a readable CSV file ({error})") from error
    _check_shape(name, raw)
    frame = pd.DataFrame({column: _integers(name, raw[column], column) for column in INTEGER_COLUMNS})
    frame["unit_price_cents"] = [_cents(name, row, text) for row, text in enumerate(raw["unit_price"], start=2)]
    frame["created_at"] = _timestamps(name, raw["created_at"])
    _check_ranges(name, frame)
    return frame


def _text(name: str, content: bytes) -> str:
    if b"\x00" in content:
        raise InvalidOrderFile(f"{name}: a binary file (it contains NUL bytes), not a CSV text file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidOrderFile(
            f"{name}: not UTF-8 text (byte 0x{content[error.start]:02x} at offset {error.start})"
        ) from error


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


def _integers(name: str, texts: pd.Series, column: str) -> pd.Series:
    """Whole numbers in int64, parsed exactly: no float on the way, so no silent rounding or overflow."""
    values = []
    for row, text in enumerate(texts.str.strip(), start=2):
        if not WHOLE_NUMBER.fullmatch(text):
            raise InvalidOrderFile(f"{name}: row {row}, column {column}: {texts.iloc[row - 2]!r} is not a whole number")
        value = int(text)
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidOrderFile(f"{name}: row {row}, column {column}: {text!r} is outside the 64-bit integer range")
        values.append(value)
    return pd.Series(values, dtype="int64")


def _cents(name: str, row: int, text: str) -> int:
    try:
        price = Decimal(text.strip())
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite():
        raise InvalidOrderFile(f"{name}: row {row}, column unit_price: {text!r} is not an amount")
    # The range first, by comparison only: arithmetic on a huge exponent (1E+1000000) overflows.
    if not 0 <= price <= MAX_UNIT_PRICE:
        raise InvalidOrderFile(f"{name}: row {row}, column unit_price: value out of range")
    if price != price.quantize(CENT):
        raise InvalidOrderFile(
            f"{name}: row {row}, column unit_price: {text!r} is not an amount with at most 2 decimals"
        )
    return int(price * 100)


def _timestamps(name: str, texts: pd.Series) -> pd.Series:
    values = pd.to_datetime(texts.str.strip(), errors="coerce", format="ISO8601", utc=True)
    if values.isna().any():
        row = int(values.isna().idxmax())
        raise InvalidOrderFile(f"{name}: row {row + 2}, column created_at: {texts.iloc[row]!r} is not an ISO 8601 time")
    return values.dt.tz_localize(None)


def _check_ranges(name: str, frame: pd.DataFrame) -> None:
    rules = {"order_id": frame["order_id"] > 0, "quantity": frame["quantity"] > 0}
    for column, ok in rules.items():
        if not ok.all():
            row = int((~ok).idxmax())
            raise InvalidOrderFile(f"{name}: row {row + 2}, column {column}: value out of range")
