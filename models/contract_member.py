"""Dated membership of a municipality in a contract."""
from peewee import SQL, DateField, ForeignKeyField

from .base import BaseModel
from .contract import Contract
from .municipality import Municipality


class ContractMember(BaseModel):
    contract = ForeignKeyField(Contract, backref="members", on_delete="CASCADE")
    municipality = ForeignKeyField(Municipality, backref="memberships", on_delete="RESTRICT")
    valid_from = DateField()
    valid_to = DateField(null=True)

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")]
        indexes = ((("contract", "municipality", "valid_from"), True),)

    def __str__(self):
        return f"{self.municipality} in {self.contract.reference}"
