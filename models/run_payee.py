"""A payee of a run with the bank data the run pays to, frozen when the run is approved (issue 13)."""
from peewee import ForeignKeyField, TextField

from .base import BaseModel, MoneyField
from .municipality import Municipality
from .payout_run import PayoutRun


class RunPayee(BaseModel):
    run = ForeignKeyField(PayoutRun, backref="payees", on_delete="CASCADE")
    payee = ForeignKeyField(Municipality, backref="+", on_delete="RESTRICT")
    name = TextField()
    creditor_number = TextField(null=True)
    iban = TextField(null=True)
    amount = MoneyField()  # the net payout of the run to this payee

    class Meta:
        indexes = ((("run", "payee"), True),)
