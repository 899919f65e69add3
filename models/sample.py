"""A random sample of reports drawn by financial control, with seed and outcome (R24)."""
from peewee import DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .user import User, utcnow


class Sample(BaseModel):
    drawn_at = DateTimeField(default=utcnow)
    drawn_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    year = IntegerField()
    seed = TextField()
    size = IntegerField()
    report_ids = TextField(default="[]")
    outcome = TextField(default="")
