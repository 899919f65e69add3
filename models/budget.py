"""Yearly credit for the contributions (§4.3.4, R17)."""
from peewee import Check, DateTimeField, IntegerField, TextField

from .base import BaseModel, MoneyField


class Budget(BaseModel):
    year = IntegerField(unique=True, constraints=[Check("year BETWEEN 2017 AND 2100")])
    credit = MoneyField(constraints=[Check("credit >= 0")])
    # schema v4: "Jahr abschliessen" records the surplus credited to the project credit once (R17, §4.3.4)
    closed_at = DateTimeField(null=True)
    closed_by = TextField(null=True)  # who closed it (e-mail); the audit log has the entry
    surplus = MoneyField(null=True)

    def __str__(self):
        return f"Budget {self.year}"
