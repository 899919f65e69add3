"""Einwohnergemeinde, identified by its BFS number (R13, R26)."""
from datetime import date

from peewee import SQL, Check, DateField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel


class Municipality(BaseModel):
    bfs_nr = IntegerField(unique=True, constraints=[Check("bfs_nr BETWEEN 1 AND 9999")])
    name = TextField()
    district = TextField()
    valid_from = DateField(null=True)
    valid_to = DateField(null=True)
    successor = ForeignKeyField("self", null=True, backref="predecessors", on_delete="RESTRICT")
    organisation_settled_on = DateField(null=True)
    creditor_number = TextField(null=True)
    iban = TextField(null=True)
    finance_email = TextField(null=True)
    correspondent_email = TextField(null=True)  # schema v2, Korrespondenzperson §4.5.1

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)")]

    def __str__(self):
        return f"{self.bfs_nr} {self.name}"

    def is_valid_on(self, day: date) -> bool:
        """True when the municipality exists on that day (R26)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def exists_between(self, start: date, end: date) -> bool:
        """True when the municipality exists on at least one day of [start, end] (R26)."""
        return (self.valid_from is None or self.valid_from <= end) and (self.valid_to is None or self.valid_to >= start)

    @classmethod
    def valid_in_year(cls, year: int):
        """Query of the municipalities that exist on at least one day of the year (R26)."""
        start, end = date(year, 1, 1), date(year, 12, 31)
        return cls.select().where(
            (cls.valid_from.is_null() | (cls.valid_from <= end))
            & (cls.valid_to.is_null() | (cls.valid_to >= start))
        )
