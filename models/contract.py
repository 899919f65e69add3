"""Inter-municipal contract (Leitgemeindemodell, §3.4.2): a lead works for its members (R12, R13)."""
from peewee import Check, ForeignKeyField, TextField

from .base import BaseModel
from .dated import Dated, validity_check, validity_fields
from .municipality import Municipality

PAYEES = {"lead": "Leitgemeinde", "member": "jede Gemeinde selbst"}


class Contract(Dated, BaseModel):
    reference = TextField(unique=True)
    lead = ForeignKeyField(Municipality, backref="led_contracts", on_delete="RESTRICT")
    payee = TextField(default="lead", constraints=[Check("payee IN ('lead','member')")])
    valid_from, valid_to = validity_fields()

    class Meta:
        constraints = [validity_check()]

    def __str__(self):
        return f"{self.reference} (Leitgemeinde {self.lead.name})"
