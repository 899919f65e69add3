"""Which schema migrations have been applied."""
from peewee import DateTimeField, IntegerField, TextField

from .base import BaseModel
from .user import utcnow


class SchemaVersion(BaseModel):
    version = IntegerField(unique=True)
    description = TextField()
    applied_at = DateTimeField(default=utcnow)
