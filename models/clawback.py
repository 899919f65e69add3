"""Amount the canton reclaims from a municipality (§4.7, R16)."""
from peewee import Check, DateField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, MoneyField
from .municipality import Municipality
from .report import Report
from .user import User, utcnow


class Clawback(BaseModel):
    municipality = ForeignKeyField(Municipality, backref="clawbacks", on_delete="RESTRICT")
    amount = MoneyField(constraints=[Check("amount > 0")])
    reason = TextField(constraints=[Check("length(reason) > 0")])
    decided_on = DateField()
    decided_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    source_report = ForeignKeyField(Report, null=True, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return f"Rückforderung {self.municipality.name} vom {self.decided_on:%d.%m.%Y}"
