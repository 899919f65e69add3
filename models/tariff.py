"""Dated flat rate with its legal reference (R5–R7)."""
from peewee import SQL, Check, DateField, TextField

from .base import BaseModel, MoneyField

TARIFF_KINDS = {
    "fee_first_info": "Fallpauschale Erstinformationsgespräch",
    "fee_interpreter_first_info": "Dolmetschpauschale Erstinformationsgespräch",
    "base_per_foreign_resident": "Sockelbeitrag pro ausländische/n Einwohner/in",
    "fee_integration": "Fallpauschale Integrationsgespräch",
    "fee_interpreter_integration": "Dolmetschpauschale Integrationsgespräch",
}


class Tariff(BaseModel):
    kind = TextField(constraints=[Check("kind IN ('" + "','".join(TARIFF_KINDS) + "')")])
    amount = MoneyField(constraints=[Check("amount >= 0")])
    valid_from = DateField()
    valid_to = DateField(null=True)
    reference = TextField()

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")]
        indexes = ((("kind", "valid_from"), True),)

    def __str__(self):
        return f"{TARIFF_KINDS.get(self.kind, self.kind)} ab {self.valid_from:%d.%m.%Y}"
