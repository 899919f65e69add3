"""Periods, deadlines and payout dates of the circular (R1–R4); plain Python."""
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class HalfYear:
    """A reporting period (R1): H1 = 01.01.–30.06., H2 = 01.07.–31.12."""

    year: int
    half: int

    def __post_init__(self):
        if self.half not in (1, 2):
            raise ValueError("half must be 1 or 2")

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def deadline(self) -> date:
        """R2: H1 due 31.07.Y, H2 due 31.01.(Y+1)."""
        return date(self.year, 7, 31) if self.half == 1 else date(self.year + 1, 1, 31)

    @property
    def label(self) -> str:
        return f"{self.half}. Halbjahr {self.year}"

    @property
    def code(self) -> str:
        return f"{self.year}-H{self.half}"

    def next(self) -> "HalfYear":
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    @classmethod
    def containing(cls, day: date) -> "HalfYear":
        return cls(day.year, 1 if day.month <= 6 else 2)


def self_declaration_deadline(year: int) -> date:
    """R3: "Selbstdeklaration Y" is due 31.01.Y."""
    return date(year, 1, 31)


def is_payout_date(day: date) -> bool:
    """R4: runs are at end of March and end of September."""
    return (day.month, day.day) in ((3, 31), (9, 30))


def next_payout_date(day: date) -> date:
    """The first payout date on or after `day`."""
    for candidate in (date(day.year, 3, 31), date(day.year, 9, 30), date(day.year + 1, 3, 31)):
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


def fee_period(payout_date: date) -> HalfYear:
    """R4: the March run pays H2 of the previous year, the September run H1 of the year."""
    if not is_payout_date(payout_date):
        raise ValueError("not a payout date")
    return HalfYear(payout_date.year - 1, 2) if payout_date.month == 3 else HalfYear(payout_date.year, 1)


def regular_payout_date(period: HalfYear) -> date:
    """R4: the run that pays a half-year regularly: H1 Y on 30.09.Y, H2 Y on 31.03.(Y+1)."""
    return date(period.year, 9, 30) if period.half == 1 else date(period.year + 1, 3, 31)


def first_period_in_system(go_live: date) -> HalfYear:
    """The first half-year the system pays and follows up: its regular payout date is on or after go-live."""
    first = HalfYear(go_live.year - 1, 1)
    while regular_payout_date(first) < go_live:
        first = first.next()
    return first


def first_base_year_in_system(go_live: date) -> int:
    """The first base-contribution year the system pays: the March run of that year is on or after go-live (R4)."""
    return go_live.year if go_live <= date(go_live.year, 3, 31) else go_live.year + 1


def base_contribution_year(payout_date: date) -> int | None:
    """R4: the March run of year Y carries the base contribution of Y."""
    return payout_date.year if payout_date.month == 3 else None


def periods_between(first: HalfYear, last: HalfYear) -> list[HalfYear]:
    periods, current = [], first
    while current <= last:
        periods.append(current)
        current = current.next()
    return periods
