"""Inter-municipal contract (Leitgemeindemodell, §3.4.2): a lead works for its members (R12, R13)."""
from peewee import SQL, Check, DateField, ForeignKeyField, TextField

from .base import BaseModel
from .municipality import Municipality

PAYEES = {"lead": "Leitgemeinde", "member": "jede Gemeinde selbst"}


class Contract(BaseModel):
    reference = TextField(unique=True)
    lead = ForeignKeyField(Municipality, backref="led_contracts", on_delete="RESTRICT")
    payee = TextField(default="lead", constraints=[Check("payee IN ('lead','member')")])
    valid_from = DateField()
    valid_to = DateField(null=True)

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")]

    def __str__(self):
        return f"{self.reference} (Leitgemeinde {self.lead.name})"
