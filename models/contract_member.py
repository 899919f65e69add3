"""Dated membership of a municipality in a contract."""
from peewee import ForeignKeyField

from .base import BaseModel
from .contract import Contract
from .dated import Dated, validity_check, validity_fields
from .municipality import Municipality


class ContractMember(Dated, BaseModel):
    contract = ForeignKeyField(Contract, backref="members", on_delete="CASCADE")
    municipality = ForeignKeyField(Municipality, backref="memberships", on_delete="RESTRICT")
    valid_from, valid_to = validity_fields()

    class Meta:
        constraints = [validity_check()]
        indexes = ((("contract", "municipality", "valid_from"), True),)

    def __str__(self):
        return f"{self.municipality} in {self.contract.reference}"
