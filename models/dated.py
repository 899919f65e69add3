"""Mixin for records with a validity range: the `core.validity` predicates in Python and as SQL.

A model declares `valid_from, valid_to = validity_fields()` where its columns were (the column order
stays as it was) and `validity_check()` in `Meta.constraints`; `covers`/`overlaps` answer for one row,
`covering`/`overlapping` give the same condition as a peewee expression for queries.
"""
from datetime import date

from peewee import SQL, DateField

from core import validity


def validity_fields(open_start: bool = False) -> tuple[DateField, DateField]:
    """`valid_from` (nullable only when `open_start`, as for municipalities) and the nullable `valid_to`."""
    return DateField(null=open_start), DateField(null=True)


def validity_check(open_start: bool = False) -> SQL:
    """The table constraint: the range does not end before it starts."""
    if open_start:
        return SQL("CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)")
    return SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")


class Dated:
    """Validity of a row over [valid_from, valid_to], both ends inclusive, None meaning open."""

    def covers(self, day: date) -> bool:
        """True when the row is valid on `day`."""
        return validity.covers(self.valid_from, self.valid_to, day)

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """True when the row is valid on at least one day of [start, end]."""
        return validity.overlaps(self.valid_from, self.valid_to, start, end)

    @classmethod
    def covering(cls, day: date):
        """SQL condition of `covers(day)`."""
        return cls._starts_by(day) & cls._ends_from(day)

    @classmethod
    def overlapping(cls, start: date, end: date | None):
        """SQL condition of `overlaps(start, end)`; `end=None` is an open end."""
        ends = cls._ends_from(start)
        return ends if end is None else cls._starts_by(end) & ends

    @classmethod
    def _starts_by(cls, day: date):
        started = cls.valid_from <= day
        return (cls.valid_from.is_null() | started) if cls.valid_from.null else started

    @classmethod
    def _ends_from(cls, day: date):
        return cls.valid_to.is_null() | (cls.valid_to >= day)
