"""Korrespondenzperson of a municipality (§4.5.1): a named, dated contact besides the finance office.

The history stays: a new person gets a new row from their first day, the previous one an end date;
the periods of one municipality never overlap (services.masterdata.check_correspondent).
"""
from peewee import ForeignKeyField, TextField

from .base import BaseModel
from .dated import Dated, validity_check, validity_fields
from .municipality import Municipality


class Correspondent(Dated, BaseModel):
    municipality = ForeignKeyField(Municipality, backref="correspondents", on_delete="RESTRICT")
    name = TextField()
    function = TextField(default="")  # e.g. "Gemeindeschreiberin"
    email = TextField()
    phone = TextField(default="")
    valid_from, valid_to = validity_fields()

    class Meta:
        constraints = [validity_check()]
        indexes = ((("municipality", "valid_from"), True),)

    def __str__(self):
        return f"{self.name} ({self.municipality})" if self.municipality_id else self.name
