"""Dated designation of a user as integration officer (IB) of a municipality (§3.4.1, R12)."""
from peewee import ForeignKeyField

from .base import BaseModel
from .dated import Dated, validity_check, validity_fields
from .municipality import Municipality
from .user import User


class OfficerAssignment(Dated, BaseModel):
    user = ForeignKeyField(User, backref="assignments", on_delete="RESTRICT")
    municipality = ForeignKeyField(Municipality, backref="officer_assignments", on_delete="RESTRICT")
    valid_from, valid_to = validity_fields()

    class Meta:
        constraints = [validity_check()]
        indexes = ((("user", "municipality", "valid_from"), True),)

    def __str__(self):
        return f"{self.user} – {self.municipality}"
