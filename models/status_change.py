"""One recorded workflow transition of a report or self-declaration (R22)."""
from peewee import SQL, BooleanField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel
from .report import Report
from .self_declaration import SelfDeclaration
from .user import User, utcnow


class StatusChange(BaseModel):
    report = ForeignKeyField(Report, null=True, backref="status_changes", on_delete="CASCADE")
    self_declaration = ForeignKeyField(
        SelfDeclaration, null=True, backref="status_changes", on_delete="CASCADE"
    )
    from_status = TextField(null=True)
    to_status = TextField()
    user = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    at = DateTimeField(default=utcnow)
    reason = TextField(default="")
    on_behalf = BooleanField(default=False)

    class Meta:
        constraints = [SQL("CHECK ((report_id IS NULL) <> (self_declaration_id IS NULL))")]
