"""CSV sheets for spend and visits: columns, one parser per cell, the whole file checked.

The CSV itself is read by tablib (quoting, CRLF, short rows); this module only says
what each column must hold. Every problem of every row is collected, so one answer
lists them all. No Django here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import tablib

from slawatch.economics import money

MAX_AMOUNT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
CATEGORIES = ("marketing", "sales")


class SheetError(ValueError):
    """The file as a whole, or some of its rows, cannot be stored; `errors` says why."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _text(value: str, name: str) -> str:
    if not value:
        raise ValueError(f"{name} is required")
    return value


def _month(value: str, name: str):
    return money.parse_month(_text(value, name))


def _amount(value: str, name: str) -> Decimal:
    try:
        number = Decimal(_text(value, name))
    except InvalidOperation:
        raise ValueError(f"{name} {value!r} is not a number (e.g. 1250.00)") from None
    if not number.is_finite():
        raise ValueError(f"{name} {value!r} is not a number (e.g. 1250.00)")
    if number < 0:
        raise ValueError(f"{name} {value} is negative")
    if number != number.quantize(money.CENT):
        raise ValueError(f"{name} {value} has more than two decimal places")
    if number >= MAX_AMOUNT:
        raise ValueError(f"{name} {value} is too large")
    return number


def _count(value: str, name: str) -> int:
    text = _text(value, name)
    if not text.isdigit():
        raise ValueError(f"{name} {value!r} is not a whole number of 0 or more")
    return int(text)


def _category(value: str, name: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(CATEGORIES)}")
    return value


def _currency(value: str, name: str) -> str:
    code = _text(value, name).upper()
    if not money.is_currency(code):
        raise ValueError(f"{name} {value!r} is not an ISO 4217 currency code (e.g. USD, EUR)")
    return code


def _optional(value: str, name: str) -> str:
    return value


def _too_wide(text):
    """tablib refuses a row wider than the header without saying which: find them."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    width = len(rows[0])
    return [f"row {n}: {len(r)} cells, but the header has {width} columns"
            for n, r in enumerate(rows[1:], start=1) if len(r) > width]


@dataclass(frozen=True)
class Sheet:
    """What one kind of CSV holds: its columns (name -> parser), which are optional,
    and the columns that identify a row (a second row with the same ones replaces it)."""

    name: str
    columns: dict[str, Callable[[str, str], object]]
    key: tuple[str, ...]
    optional: frozenset[str] = field(default_factory=frozenset)

    def read(self, data: bytes | str) -> list[tuple[int, dict]]:
        """[(row number, {column: parsed value})] or SheetError listing every problem.

        Row numbers count data rows from 1 (the header is not a row); a UTF-8 byte
        order mark and Windows line endings are accepted.
        """
        dataset = self._load(data)
        self._check_header(dataset.headers)
        rows, errors, seen = [], [], {}
        for number, cells in enumerate(dataset.dict, start=1):
            values, problems = self._parse(cells)
            errors += [f"row {number}: {p}" for p in problems]
            if problems:
                continue
            key = tuple(values[k] for k in self.key)
            if key in seen:
                errors.append(f"row {number}: repeats the {', '.join(self.key)} of row "
                              f"{seen[key]}")
            seen.setdefault(key, number)
            rows.append((number, values))
        if errors:
            raise SheetError(errors)
        if not rows:
            raise SheetError(["the file has a header but no rows"])
        return rows

    def _load(self, data):
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise SheetError([f"the file is not UTF-8 text (byte {exc.start})"]) from None
        data = data.removeprefix("\ufeff")
        if "\x00" in data:  # PostgreSQL text cannot hold it; no sheet means one
            line = data.count("\n", 0, data.index("\x00")) + 1
            raise SheetError([f"the file contains a NUL character (line {line})"])
        if not data.strip():
            raise SheetError(["the file is empty: expected a header line "
                              f"({', '.join(self.columns)}) and one row per {self.name}"])
        try:
            return tablib.Dataset().load(data, format="csv")
        except tablib.InvalidDimensions:
            raise SheetError(_too_wide(data)) from None
        except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
            if "field limit" in str(exc):
                raise SheetError([f"a cell is longer than {csv.field_size_limit()} "
                                  "characters"]) from None
            raise SheetError([f"the file is not readable as CSV: {exc}"]) from None

    def _check_header(self, headers):
        headers = [h.strip() for h in headers or []]
        errors = [f"unknown column {h!r} (the columns are {', '.join(self.columns)})"
                  for h in headers if h not in self.columns]
        errors += [f"column {h!r} appears twice" for h in sorted(set(headers))
                   if headers.count(h) > 1]
        errors += [f"missing column {c!r}" for c in self.columns
                   if c not in headers and c not in self.optional]
        if errors:
            raise SheetError(errors)

    def _parse(self, cells):
        cells = {k.strip(): (v or "").strip() for k, v in cells.items()}
        values, problems = {}, []
        for name, parse in self.columns.items():
            try:
                values[name] = parse(cells.get(name, ""), name)
            except ValueError as exc:
                problems.append(str(exc))
        return values, problems


SPEND = Sheet("spend", {"month": _month, "source": _text, "campaign": _optional,
                        "category": _category, "amount": _amount, "currency": _currency},
              key=("month", "source", "campaign", "category"), optional=frozenset({"campaign"}))
VISITS = Sheet("visits", {"month": _month, "source": _text, "visits": _count},
               key=("month", "source"))
