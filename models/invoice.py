"""Invoice for the part of a clawback that exceeds the payout, due after 30 days (R16)."""
from datetime import date

from peewee import Check, DateField, ForeignKeyField, TextField

from .base import BaseModel, MoneyField
from .clawback import Clawback
from .municipality import Municipality
from .payout_run import PayoutRun

INVOICE_STATES = {"open": "offen", "paid": "bezahlt", "overdue": "überfällig"}


class Invoice(BaseModel):
    number = TextField(unique=True)
    municipality = ForeignKeyField(Municipality, backref="invoices", on_delete="RESTRICT")
    clawback = ForeignKeyField(Clawback, backref="invoices", on_delete="RESTRICT")
    run = ForeignKeyField(PayoutRun, backref="invoices", on_delete="RESTRICT")
    amount = MoneyField(constraints=[Check("amount > 0")])
    invoice_date = DateField()
    due_date = DateField()
    status = TextField(default="open", constraints=[Check("status IN ('open','paid')")])
    paid_on = DateField(null=True)

    class Meta:
        indexes = ((("clawback", "run"), True),)

    def __str__(self):
        return f"Rechnung {self.number}"

    def state_on(self, day: date) -> str:
        """open, paid, or overdue once the due date (30 days after the invoice, §4.7) has passed unpaid."""
        if self.status == "paid":
            return "paid"
        return "overdue" if day > self.due_date else "open"
