"""Invoice for the part of a clawback that exceeds the payout, due after 30 days (R16, §4.7).

Stored status: open, paid or cancelled; "overdue" is computed for a day (an open invoice past its due date).
"""
from datetime import date

from peewee import Check, DateField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, MoneyField
from .clawback import Clawback
from .municipality import Municipality
from .payout_run import PayoutRun
from .user import User

INVOICE_STATES = {"open": "offen", "paid": "bezahlt", "overdue": "überfällig", "cancelled": "storniert"}
STORED_INVOICE_STATES = ("open", "paid", "cancelled")  # schema v9 widened the CHECK by "cancelled"


def invoice_status_check(states=STORED_INVOICE_STATES) -> str:
    return "status IN ('" + "','".join(states) + "')"


class Invoice(BaseModel):
    number = TextField(unique=True)
    municipality = ForeignKeyField(Municipality, backref="invoices", on_delete="RESTRICT")
    clawback = ForeignKeyField(Clawback, backref="invoices", on_delete="RESTRICT")
    run = ForeignKeyField(PayoutRun, backref="invoices", on_delete="RESTRICT")
    amount = MoneyField(constraints=[Check("amount > 0")])
    invoice_date = DateField()
    due_date = DateField()
    status = TextField(default="open", constraints=[Check(invoice_status_check())])
    paid_on = DateField(null=True)
    # schema v9: who recorded the payment and when; cancellation with its reason
    paid_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    paid_recorded_at = DateTimeField(null=True)
    cancelled_on = DateField(null=True)
    cancelled_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    cancelled_reason = TextField(null=True)

    class Meta:
        indexes = ((("clawback", "run"), True),)

    def __str__(self):
        return f"Rechnung {self.number}"

    def state_on(self, day: date) -> str:
        """open, paid, cancelled, or overdue once the due date (30 days after the invoice, §4.7) has passed unpaid."""
        if self.status in ("paid", "cancelled"):
            return self.status
        return "overdue" if day > self.due_date else "open"
