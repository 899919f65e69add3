"""One explained line of a payout run: who, what component, quantity × rate = amount (R8–R16)."""
from peewee import Check, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, MoneyField
from .clawback import Clawback
from .municipality import Municipality
from .payout_run import PayoutRun
from .report import Report

COMPONENTS = {
    "case_first_info": "Fallpauschale Erstinformationsgespräche",
    "case_integration": "Fallpauschale Integrationsgespräche",
    "interpreter_first_info": "Dolmetschpauschale Erstinformationsgespräche",
    "interpreter_integration": "Dolmetschpauschale Integrationsgespräche",
    "base_contribution": "Sockelbeitrag",
    "correction": "Korrektur",
    "clawback_offset": "Verrechnung Rückforderung",
}
LINE_STATUSES = {"payable": "zahlbar", "withheld": "zurückbehalten", "blocked": "blockiert"}


class PayoutLine(BaseModel):
    run = ForeignKeyField(PayoutRun, backref="lines", on_delete="CASCADE")
    municipality = ForeignKeyField(Municipality, backref="+", on_delete="RESTRICT")
    payee = ForeignKeyField(Municipality, backref="+", on_delete="RESTRICT")
    component = TextField(
        constraints=[Check("component IN ('" + "','".join(COMPONENTS) + "')")]
    )
    period = TextField()
    quantity = IntegerField(null=True, constraints=[Check("quantity IS NULL OR quantity >= 0")])
    rate = MoneyField(null=True)
    amount = MoneyField()
    status = TextField(
        default="payable", constraints=[Check("status IN ('payable','withheld','blocked')")]
    )
    rule = TextField()
    explanation = TextField()
    report = ForeignKeyField(Report, null=True, backref="payout_lines", on_delete="RESTRICT")
    clawback = ForeignKeyField(Clawback, null=True, backref="offsets", on_delete="RESTRICT")
    # schema v4: what the line credits to the ledger when its run is approved (R15): signed quantity and
    # gross amount, whatever part of it is offset or invoiced, and the ledger revision it was computed against.
    ledger_quantity = IntegerField(null=True)
    ledger_amount = MoneyField(null=True)
    revision = IntegerField(null=True)

    class Meta:
        indexes = ((("run", "municipality", "component", "period"), True),)
