"""Which municipalities an officer is responsible for on a day (R12, §3.4.2)."""
from datetime import date

from models import Contract, ContractMember, Municipality, OfficerAssignment, User


def responsible_during(user, start: date, end: date) -> set[int]:
    """Municipalities the officer was responsible for on at least one day of [start, end] (R12, issue 13)."""
    own = (Municipality.select(Municipality.id).join(OfficerAssignment)
           .where((OfficerAssignment.user == user) & OfficerAssignment.overlapping(start, end)))
    members = (ContractMember.select(ContractMember.municipality).join(Contract)
               .where(Contract.lead.in_(own) & Contract.overlapping(start, end)
                      & ContractMember.overlapping(start, end)))
    return {m.id for m in Municipality.select(Municipality.id)
            .where(Municipality.id.in_(own) | Municipality.id.in_(members))}


def responsible_ids(user, day: date) -> set[int]:
    """The ids of `responsible_municipalities`, for access checks (one query)."""
    return {m.id for m in responsible_municipalities(user, day)}


def responsible_municipalities(user, day: date) -> list[Municipality]:
    """Their own municipalities, plus the members of contracts their municipality leads on `day`."""
    own = (Municipality.select(Municipality.id)
           .join(OfficerAssignment)
           .where((OfficerAssignment.user == user) & OfficerAssignment.covering(day)))
    members = (ContractMember.select(ContractMember.municipality)
               .join(Contract)
               .where(Contract.lead.in_(own) & Contract.covering(day) & ContractMember.covering(day)))
    return list(Municipality.select()
                .where(Municipality.id.in_(own) | Municipality.id.in_(members))
                .order_by(Municipality.name))


def officers_responsible(municipality_ids, day: date) -> dict[int, list]:
    """The active officers responsible on `day` for each municipality: its own, or its contract lead's (R12).

    The inverse of `responsible_municipalities`, for addressing messages (issue 15); two queries.
    """
    ids = set(municipality_ids)
    leads = {member.municipality_id: member.contract.lead_id for member in
             ContractMember.select(ContractMember, Contract).join(Contract)
             .where(ContractMember.municipality.in_(ids) & ContractMember.covering(day) & Contract.covering(day))}
    wanted = ids | set(leads.values())
    by_municipality: dict[int, list] = {}
    for assignment in (OfficerAssignment.select(OfficerAssignment, User).join(User)
                       .where(OfficerAssignment.municipality.in_(wanted) & OfficerAssignment.covering(day)
                              & (User.active == True) & (User.role == "officer"))  # noqa: E712
                       .order_by(User.email)):
        by_municipality.setdefault(assignment.municipality_id, []).append(assignment.user)
    result = {}
    for municipality_id in ids:
        officers = list(by_municipality.get(municipality_id, []))
        for user in by_municipality.get(leads.get(municipality_id), []):
            if user not in officers:
                officers.append(user)
        result[municipality_id] = officers
    return result
