"""The payment ledger: what approved runs credited per claim, the one source of "what was paid" (R14, R15).

A claim is one component of one report (half-year) or the base contribution of one year, of one
municipality. Revision 0 is the first credit, revision n the n-th correction. The unique key makes a
second credit of the same revision impossible in the database itself: a stale draft that would pay
a claim again fails at approval.
"""
from peewee import ForeignKeyField, IntegerField, TextField

from .base import BaseModel, MoneyField
from .municipality import Municipality
from .payout_line import PayoutLine
from .payout_run import PayoutRun
from .report import Report


class LedgerEntry(BaseModel):
    run = ForeignKeyField(PayoutRun, backref="ledger_entries", on_delete="RESTRICT")
    line = ForeignKeyField(PayoutLine, backref="ledger_entries", on_delete="RESTRICT")
    municipality = ForeignKeyField(Municipality, backref="+", on_delete="RESTRICT")
    component = TextField()  # a fee component or base_contribution
    claim = TextField()  # "2026-H1" for fees, "2026" for the base contribution
    claim_year = IntegerField(index=True)  # R17: the year the claim belongs to
    report = ForeignKeyField(Report, null=True, backref="+", on_delete="RESTRICT")
    revision = IntegerField()
    quantity = IntegerField()  # signed: a correction downwards is negative
    rate = MoneyField()
    amount = MoneyField()  # signed gross credit, whatever part of it was offset or invoiced

    class Meta:
        indexes = ((("municipality", "component", "claim", "revision"), True),)

    def __str__(self):
        return f"{self.municipality_id} {self.component} {self.claim} r{self.revision}: {self.amount}"
