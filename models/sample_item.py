"""One drawn report of a sample: evidence request, the auditor's outcome and the clawback it proposes (R24, §4.7)."""
from peewee import Check, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, MoneyField
from .clawback import Clawback
from .municipality import Municipality
from .report import Report
from .sample import Sample
from .user import User

OUTCOMES = {"ok": "In Ordnung", "objection": "Beanstandung"}
ITEM_STATUSES = {"drawn": "gezogen", "requested": "Belege angefordert", "decided": "beurteilt"}
PROPOSAL_STATES = {"open": "offen", "accepted": "Rückforderung erfasst", "dismissed": "verworfen"}


class SampleItem(BaseModel):
    sample = ForeignKeyField(Sample, backref="items", on_delete="RESTRICT")
    report = ForeignKeyField(Report, backref="+", on_delete="RESTRICT")
    municipality = ForeignKeyField(Municipality, backref="+", on_delete="RESTRICT")  # the report's, for R12 checks
    district = TextField(default="")  # the stratum it was drawn from
    status = TextField(default="drawn", constraints=[Check("status IN ('drawn', 'requested', 'decided')")])
    requested_at = DateTimeField(null=True)
    outcome = TextField(null=True, constraints=[Check("outcome IS NULL OR outcome IN ('ok', 'objection')")])
    amount = MoneyField(null=True, constraints=[Check("amount IS NULL OR amount > 0")])
    text = TextField(default="")
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    decided_at = DateTimeField(null=True)
    proposal = TextField(null=True, constraints=[
        Check("proposal IS NULL OR proposal IN ('open', 'accepted', 'dismissed')")])
    proposal_reason = TextField(default="")
    proposal_decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    proposal_decided_at = DateTimeField(null=True)
    clawback = ForeignKeyField(Clawback, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        indexes = ((("sample", "report"), True),)

    def __str__(self):
        return f"Stichprobe {self.sample_id}: {self.report}"
