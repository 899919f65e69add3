"""Swiss German display formats (de-CH): 1’234.50 with U+2019, 31.12.2024.

Plain string formatting, fixed by tests against written-out expected strings: the locale data of
Babel changes between releases (2.19 groups de_CH with an ASCII apostrophe), ours must not. It is
also about 50× faster than Babel, which matters for the explanation of every payout line.
"""
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
SWISS_TIME = ZoneInfo("Europe/Zurich")


def chf(amount: Decimal | int | str | None) -> str:
    if amount is None:
        return "–"
    return f"{Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}".replace(",", "’")


def number(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}".replace(",", "’")


def date_ch(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return swiss_time(value).strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


def swiss_time(value: datetime) -> datetime:
    """A stored time (naive UTC, models.utcnow) as people in Solothurn read it: Europe/Zurich, summer time
    included (issue 18). An aware value is converted from its own zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SWISS_TIME)


def iban_masked(iban: str | None) -> str:
    """An IBAN as printed on notices: country and check digits and the last four characters, the rest hidden,
    in groups of four (CH93 **** **** **** *295 7); a notice sent by e-mail never carries the full account."""
    compact = "".join((iban or "").split()).upper()
    if len(compact) < 9:
        return "–"
    hidden = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))


def period_label(code: str | None) -> str:
    """A stored period code as people say it (issue 18): "2025-H2" → "2. Halbjahr 2025"; a year stays a year."""
    if not code:
        return "–"
    year, _, half = str(code).partition("-H")
    return f"{half}. Halbjahr {year}" if half in ("1", "2") and year.isdigit() else str(code)
