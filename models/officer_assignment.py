"""Dated designation of a user as integration officer (IB) of a municipality (§3.4.1, R12)."""
from datetime import date

from peewee import SQL, DateField, ForeignKeyField

from .base import BaseModel
from .municipality import Municipality
from .user import User


class OfficerAssignment(BaseModel):
    user = ForeignKeyField(User, backref="assignments", on_delete="RESTRICT")
    municipality = ForeignKeyField(Municipality, backref="officer_assignments", on_delete="RESTRICT")
    valid_from = DateField()
    valid_to = DateField(null=True)

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")]
        indexes = ((("user", "municipality", "valid_from"), True),)

    def __str__(self):
        return f"{self.user} – {self.municipality}"

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
