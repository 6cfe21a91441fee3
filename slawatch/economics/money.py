"""Money without Django: months, ISO 4217 codes, conversion to the reporting currency.

Amounts are Decimals from end to end; a float never touches money. A rate is the number
of units of the reporting currency one unit of another currency buys in a month.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pycountry

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


def parse_month(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1); anything else is a ValueError saying what was expected."""
    match = MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"month must be YYYY-MM (e.g. 2026-11), not {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def is_currency(code: str) -> bool:
    """An active ISO 4217 code, upper case (e.g. USD, EUR, JPY)."""
    return (isinstance(code, str) and len(code) == 3 and code.isupper()
            and pycountry.currencies.get(alpha_3=code) is not None)


def cents(amount: Decimal | None) -> str | None:
    """Money as the API shows it: a decimal string to the cent, half up ('1250.00')."""
    return None if amount is None else str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def divide(numerator, denominator) -> Decimal | None:
    """numerator / denominator as a Decimal, None when the divisor is 0 (or missing)."""
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def fraction(numerator, denominator) -> float | None:
    """A ratio for the API: a number to four places, None when the divisor is 0."""
    value = divide(numerator, denominator)
    return None if value is None else float(value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


class Rates:
    """Conversion with the rate of the amount's month, else the latest earlier month's.

    No rate at or before that month: the amount cannot be converted (None), and the
    report counts it as unconverted instead of mixing currencies.
    """

    def __init__(self, reporting: str, rates: Iterable[tuple[date, str, Decimal]]):
        self.reporting = reporting
        table: dict[str, list[tuple[date, Decimal]]] = {}
        for month, currency, rate in rates:
            table.setdefault(currency, []).append((month, Decimal(rate)))
        self._months = {c: [m for m, _ in sorted(v)] for c, v in table.items()}
        self._rates = {c: [r for _, r in sorted(v)] for c, v in table.items()}

    def rate(self, currency: str, month: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        months = self._months.get(currency)
        if not months:
            return None
        i = bisect.bisect_right(months, month)
        return self._rates[currency][i - 1] if i else None

    def convert(self, amount: Decimal, currency: str, month: date) -> Decimal | None:
        rate = self.rate(currency, month)
        return None if rate is None else Decimal(amount) * rate
