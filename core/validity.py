"""One validity concept: closed date ranges [valid_from, valid_to], None meaning an open end (R6, R12, R18, R26).

The pure predicates used by the payout inputs and the services; `models.dated.Dated` states the same
conditions as SQL expressions (tests/test_validity.py checks that both agree).
"""
from datetime import date


def covers(valid_from: date | None, valid_to: date | None, day: date) -> bool:
    """True when `day` lies in [valid_from, valid_to]."""
    return (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to)


def overlaps(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    """True when the ranges [a_from, a_to] and [b_from, b_to] share at least one day."""
    return (a_from is None or b_to is None or a_from <= b_to) and (b_from is None or a_to is None or b_from <= a_to)


class DatedRange:
    """Mixin for (frozen) dataclasses with `valid_from` and `valid_to` fields."""

    __slots__ = ()
    valid_from: date | None
    valid_to: date | None

    def covers(self, day: date) -> bool:
        """True when the record is valid on `day`."""
        return covers(self.valid_from, self.valid_to, day)

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """True when the record is valid on at least one day of [start, end]."""
        return overlaps(self.valid_from, self.valid_to, start, end)
