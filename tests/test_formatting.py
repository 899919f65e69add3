"""de-CH display: 1’234.50 with U+2019 and 31.12.2024."""
from datetime import date
from decimal import Decimal

from services.formatting import chf, date_ch, number


def test_chf_uses_swiss_apostrophe_u2019():
    assert chf(Decimal("1234.5")) == "1\u2019234.50"
    assert chf(Decimal("-1234567.05")) == "-1\u2019234\u2019567.05"


def test_dates_and_numbers():
    assert date_ch(date(2024, 12, 31)) == "31.12.2024"
    assert number(74173) == "74\u2019173"
    assert chf(None) == date_ch(None) == "–"
