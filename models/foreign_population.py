"""Foreign residents of a municipality on a reference date (R10)."""
from peewee import Check, DateField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .municipality import Municipality


class ForeignPopulation(BaseModel):
    municipality = ForeignKeyField(Municipality, backref="population_counts", on_delete="RESTRICT")
    reference_date = DateField()
    count = IntegerField(constraints=[Check("count >= 0")])
    source = TextField(default="")

    class Meta:
        indexes = ((("municipality", "reference_date"), True),)

    def __str__(self):
        return f"{self.municipality.name} {self.reference_date:%d.%m.%Y}: {self.count}"
