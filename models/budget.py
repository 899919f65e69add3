"""Yearly credit for the contributions (§4.3.4, R17)."""
from peewee import Check, IntegerField

from .base import BaseModel, MoneyField


class Budget(BaseModel):
    year = IntegerField(unique=True, constraints=[Check("year BETWEEN 2017 AND 2100")])
    credit = MoneyField(constraints=[Check("credit >= 0")])

    def __str__(self):
        return f"Budget {self.year}"
