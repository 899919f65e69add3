"""A payout run for one payout date: draft → approved → booked (R4, R7)."""
import json

from peewee import Check, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .user import User, utcnow


class RunStatus:
    """The stored states of a run; SETTLED are those whose lines count as paid (R7)."""

    DRAFT, APPROVED, BOOKED = "draft", "approved", "booked"
    SETTLED = (APPROVED, BOOKED)


RUN_STATUSES = {RunStatus.DRAFT: "Entwurf", RunStatus.APPROVED: "Freigegeben", RunStatus.BOOKED: "Verbucht"}


class PayoutRun(BaseModel):
    payout_date = DateField(unique=True)
    status = TextField(
        default=RunStatus.DRAFT, constraints=[Check("status IN ('" + "','".join(RUN_STATUSES) + "')")]
    )
    prepared_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    prepared_at = DateTimeField(default=utcnow)
    approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    approved_at = DateTimeField(null=True)
    booked_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    booked_at = DateTimeField(null=True)
    version = IntegerField(default=1)
    issues_json = TextField(default="{}")  # schema v3: blockers, withheld items, invoice drafts
    fingerprint = TextField(default="")  # schema v4: what the run was computed from (issue 13)

    @property
    def issues(self) -> dict:
        return json.loads(self.issues_json or "{}")

    def __str__(self):
        return f"Auszahlung {self.payout_date:%d.%m.%Y} ({RUN_STATUSES[self.status]})"
