"""A random sample of reports drawn by financial control, with seed and method (R24, §6).

The sample's items (one per drawn report) live in `sample_item`; the seed is stored as text of decimal
digits so that any recorded seed, given or drawn, reproduces the sample.
"""
from peewee import BooleanField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .user import User, utcnow

SAMPLE_METHODS = {"count": "Anzahl", "percent": "Prozent"}


class Sample(BaseModel):
    drawn_at = DateTimeField(default=utcnow)
    drawn_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    year = IntegerField()
    seed = TextField()
    size = IntegerField()
    method = TextField(default="count", constraints=[Check("method IN ('count', 'percent')")])  # schema v10
    percent = IntegerField(null=True)  # the p of "p %", when method = percent
    stratified = BooleanField(default=False)  # proportional per district
    district = TextField(null=True)  # population limited to one district
    population_size = IntegerField(default=0)

    def __str__(self):
        return f"Stichprobe {self.id} ({self.year})"
