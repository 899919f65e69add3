"""Dated flat rate with its legal reference (R5–R7)."""
from peewee import Check, TextField

from .base import BaseModel, MoneyField
from .dated import Dated, validity_check, validity_fields

TARIFF_KINDS = {
    "fee_first_info": "Fallpauschale Erstinformationsgespräch",
    "fee_interpreter_first_info": "Dolmetschpauschale Erstinformationsgespräch",
    "base_per_foreign_resident": "Sockelbeitrag pro ausländische/n Einwohner/in",
    "fee_integration": "Fallpauschale Integrationsgespräch",
    "fee_interpreter_integration": "Dolmetschpauschale Integrationsgespräch",
}


class Tariff(Dated, BaseModel):
    kind = TextField(constraints=[Check("kind IN ('" + "','".join(TARIFF_KINDS) + "')")])
    amount = MoneyField(constraints=[Check("amount >= 0")])
    valid_from, valid_to = validity_fields()
    reference = TextField()

    class Meta:
        constraints = [validity_check()]
        indexes = ((("kind", "valid_from"), True),)

    def __str__(self):
        return f"{TARIFF_KINDS.get(self.kind, self.kind)} ab {self.valid_from:%d.%m.%Y}"
