"""de-CH display: 1’234.50 with U+2019 and 31.12.2024 (fixed expected strings, not a library's current locale data)."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.formatting import chf, date_ch, number

APOSTROPHE = "\u2019"


@pytest.mark.parametrize("amount, expected", [
    (Decimal("0"), "0.00"),
    (Decimal("0.5"), "0.50"),
    (Decimal("999.99"), "999.99"),
    (Decimal("1000"), "1’000.00"),
    (Decimal("1234.5"), "1’234.50"),
    (Decimal("-1234567.05"), "-1’234’567.05"),
    (Decimal("128563"), "128’563.00"),
    (Decimal("-0.01"), "-0.01"),
    (Decimal("1.005"), "1.01"),
    (3080, "3’080.00"),
    ("610", "610.00"),
])
def test_chf_uses_swiss_apostrophe_u2019(amount, expected):
    assert chf(amount) == expected


@pytest.mark.parametrize("value, expected", [
    (0, "0"), (999, "999"), (1000, "1’000"), (74173, "74’173"), (-1234567, "-1’234’567")])
def test_numbers_group_thousands_with_u2019(value, expected):
    assert number(value) == expected


def test_dates_and_missing_values():
    assert date_ch(date(2024, 12, 31)) == "31.12.2024"
    # issue 18: stored UTC, shown in Swiss time (summer +2, winter +1)
    assert date_ch(datetime(2026, 3, 31, 13, 7)) == "31.03.2026 15:07"
    assert date_ch(datetime(2026, 12, 31, 23, 30)) == "01.01.2027 00:30"
    assert chf(None) == date_ch(None) == number(None) == "–"


def _grouped(digits: str) -> str:
    """Reference grouping written independently of the implementation: threes from the right."""
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return APOSTROPHE.join(groups)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("-1e10"), max_value=Decimal("1e10"), places=2), st.integers(-10**9, 10**9))
def test_formatting_groups_every_three_digits(amount, count):
    whole, cents = f"{abs(amount):.2f}".split(".")
    assert chf(amount) == ("-" if amount < 0 else "") + _grouped(whole) + "." + cents
    assert number(count) == ("-" if count < 0 else "") + _grouped(str(abs(count)))
