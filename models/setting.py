"""Recorded settings of the system, e.g. the go-live date of the payouts (issue 13); each change is audited."""
from peewee import DateTimeField, ForeignKeyField, TextField

from .base import BaseModel
from .user import User, utcnow

GO_LIVE = "go_live"


class Setting(BaseModel):
    key = TextField(unique=True)
    value = TextField()
    set_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    set_at = DateTimeField(default=utcnow)

    def __str__(self):
        return f"{self.key} = {self.value}"
