"""Which municipalities an officer is responsible for on a day (R12, §3.4.2)."""
from datetime import date

from models import Contract, ContractMember, Municipality, OfficerAssignment


def _active(model, day: date):
    return (model.valid_from <= day) & (model.valid_to.is_null() | (model.valid_to >= day))


def _overlapping(model, start: date, end: date):
    return (model.valid_from <= end) & (model.valid_to.is_null() | (model.valid_to >= start))


def responsible_during(user, start: date, end: date) -> set[int]:
    """Municipalities the officer was responsible for on at least one day of [start, end] (R12, issue 13)."""
    own = (Municipality.select(Municipality.id).join(OfficerAssignment)
           .where((OfficerAssignment.user == user) & _overlapping(OfficerAssignment, start, end)))
    members = (ContractMember.select(ContractMember.municipality).join(Contract)
               .where(Contract.lead.in_(own) & _overlapping(Contract, start, end)
                      & _overlapping(ContractMember, start, end)))
    return {m.id for m in Municipality.select(Municipality.id)
            .where(Municipality.id.in_(own) | Municipality.id.in_(members))}


def responsible_ids(user, day: date) -> set[int]:
    """The ids of `responsible_municipalities`, for access checks (one query)."""
    return {m.id for m in responsible_municipalities(user, day)}


def responsible_municipalities(user, day: date) -> list[Municipality]:
    """Their own municipalities, plus the members of contracts their municipality leads on `day`."""
    own = (Municipality.select(Municipality.id)
           .join(OfficerAssignment)
           .where((OfficerAssignment.user == user) & _active(OfficerAssignment, day)))
    members = (ContractMember.select(ContractMember.municipality)
               .join(Contract)
               .where(Contract.lead.in_(own) & _active(Contract, day) & _active(ContractMember, day)))
    return list(Municipality.select()
                .where(Municipality.id.in_(own) | Municipality.id.in_(members))
                .order_by(Municipality.name))
