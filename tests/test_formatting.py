"""de-CH display: 1’234.50 with U+2019 and 31.12.2024."""
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.formatting import chf, date_ch, number


def test_chf_uses_swiss_apostrophe_u2019():
    assert chf(Decimal("1234.5")) == "1\u2019234.50"
    assert chf(Decimal("-1234567.05")) == "-1\u2019234\u2019567.05"


def test_dates_and_numbers():
    assert date_ch(date(2024, 12, 31)) == "31.12.2024"
    assert number(74173) == "74\u2019173"
    assert chf(None) == date_ch(None) == "–"


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("-1e10"), max_value=Decimal("1e10"), places=2), st.integers(-10**9, 10**9))
def test_fast_formatting_equals_babel_de_ch(amount, count):
    from babel.numbers import format_decimal

    assert chf(amount) == format_decimal(amount, format="#,##0.00", locale="de_CH")
    assert number(count) == format_decimal(count, format="#,##0", locale="de_CH")
