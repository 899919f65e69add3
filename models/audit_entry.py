"""Append-only audit log of every write (R23); the database refuses updates and deletes."""
from peewee import DateTimeField, ForeignKeyField, TextField

from .base import BaseModel
from .user import User, utcnow


class AuditEntry(BaseModel):
    at = DateTimeField(default=utcnow, index=True)
    actor = TextField()
    user = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    action = TextField()
    model = TextField(index=True)
    record_id = TextField(default="")
    before = TextField(null=True)
    after = TextField(null=True)
    reason = TextField(default="")

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M} {self.actor} {self.action} {self.model} {self.record_id}"
