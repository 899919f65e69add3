"""Einwohnergemeinde, identified by its BFS number (R13, R26)."""
from datetime import date

from peewee import Check, DateField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .dated import Dated, validity_check, validity_fields


class Municipality(Dated, BaseModel):
    bfs_nr = IntegerField(unique=True, constraints=[Check("bfs_nr BETWEEN 1 AND 9999")])
    name = TextField()
    district = TextField()
    valid_from, valid_to = validity_fields(open_start=True)  # R26: founding dates before the data are unknown
    successor = ForeignKeyField("self", null=True, backref="predecessors", on_delete="RESTRICT")
    organisation_settled_on = DateField(null=True)
    creditor_number = TextField(null=True)
    iban = TextField(null=True)
    finance_email = TextField(null=True)
    street = TextField(null=True)  # schema v9: postal address of the administration, debtor of QR-bills (issue 16)
    postcode = TextField(null=True)

    class Meta:
        constraints = [validity_check(open_start=True)]

    def __str__(self):
        return f"{self.bfs_nr} {self.name}"

    @classmethod
    def valid_in_year(cls, year: int):
        """Query of the municipalities that exist on at least one day of the year (R26)."""
        return cls.select().where(cls.overlapping(date(year, 1, 1), date(year, 12, 31)))
