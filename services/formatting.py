"""Swiss German display formats (de-CH): 1’234.50 with U+2019, 31.12.2024."""
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal


def chf(amount: Decimal | int | None) -> str:
    if amount is None:
        return "–"
    return format_decimal(Decimal(amount), format="#,##0.00", locale="de_CH")


def number(value: int | None) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0", locale="de_CH")


def date_ch(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")
