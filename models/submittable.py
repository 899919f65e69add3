"""Fields shared by the documents that pass the review workflow (R22); not a table itself."""
from peewee import BooleanField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .user import User

STATUSES = {
    "draft": "Entwurf",
    "submitted": "Eingereicht",
    "returned": "Zurückgewiesen",
    "accepted": "Akzeptiert",
}


class Submittable(BaseModel):
    status = TextField(
        default="draft", constraints=[Check("status IN ('draft','submitted','returned','accepted')")]
    )
    submitted_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    submitted_at = DateTimeField(null=True)
    late = BooleanField(default=False)
    is_demo = BooleanField(default=False)
    version = IntegerField(default=1)  # optimistic locking of concurrent edits
