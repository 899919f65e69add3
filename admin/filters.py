"""List filters the standard converters cannot express: active in a year, by contract."""
from datetime import date

from flask import has_request_context
from flask_admin.contrib.peewee.filters import BasePeeweeFilter
from flask_admin.model.filters import BaseIntFilter

from core.numbers import parse_id, parse_int
from models import Contract, ContractMember


class ActiveInYearFilter(BaseIntFilter, BasePeeweeFilter):
    """Rows whose validity range touches the given year (R26: lists of a year)."""

    def __init__(self, model, name="Gültig im Jahr"):
        super().__init__(model.valid_from, name)
        self.model = model

    def validate(self, value):
        return parse_int(value, 1900, 2100) is not None

    def apply(self, query, value):
        year = parse_int(value, 1900, 2100)
        return query.where(self.model.overlapping(date(year, 1, 1), date(year, 12, 31)))

    def operation(self):
        return "="


class ContractFilter(BasePeeweeFilter):
    """Municipalities that lead or belong to the chosen contract."""

    def __init__(self, column, name="Vertrag"):
        super().__init__(column, name)

    def get_options(self, view):
        if not has_request_context():
            return None  # the admin is built before the database exists; options load per request
        return [(str(c.id), c.reference) for c in Contract.select().order_by(Contract.reference)]

    def validate(self, value):
        return parse_id(value) is not None

    def apply(self, query, value):
        leads = Contract.select(Contract.lead).where(Contract.id == parse_id(value))
        members = ContractMember.select(ContractMember.municipality).where(ContractMember.contract == parse_id(value))
        return query.where(self.column.in_(leads) | self.column.in_(members))

    def operation(self):
        return "="
