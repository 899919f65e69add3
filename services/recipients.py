"""Who receives a municipality's mail on a day (issue 15): its responsible officers (R12) and its finance office.

The one place that turns municipalities into (name, address) pairs for `outbox.enqueue`.
"""
from datetime import date

from auth.responsibility import officers_responsible


def officer_addresses(municipality_ids, day: date) -> dict[int, list[tuple[str, str]]]:
    """Per municipality the officers responsible on `day`: its own, or its contract lead's."""
    return {municipality_id: [(user.name or user.email, user.email) for user in users]
            for municipality_id, users in officers_responsible(municipality_ids, day).items()}


def finance_address(municipality) -> list[tuple[str, str]]:
    """The finance office (Finanzverwaltung) of the municipality, if it has an address."""
    if not municipality.finance_email:
        return []
    return [(f"Finanzverwaltung {municipality.name}", municipality.finance_email)]


def municipality_addresses(municipalities, day: date, *, officers: bool = True,
                           finance: bool = False) -> dict[int, list[tuple[str, str]]]:
    """Officers and/or the finance office per municipality (duplicates are removed by `enqueue`)."""
    municipalities = list(municipalities)
    by_officer = officer_addresses([m.id for m in municipalities], day) if officers else {}
    return {m.id: by_officer.get(m.id, []) + (finance_address(m) if finance else []) for m in municipalities}


def correspondent_address(municipality) -> list[tuple[str, str]]:
    """The Korrespondenzperson (§4.5.1), written to when no officer is responsible; [] without an address."""
    if not municipality.correspondent_email:
        return []
    return [(f"Korrespondenzperson {municipality.name}", municipality.correspondent_email)]


def officers_or_correspondent(municipality, day: date) -> list[tuple[str, str]]:
    """The officers responsible on `day` (R12), else the correspondent; [] leaves the message as "keine Adresse"."""
    officers = officer_addresses([municipality.id], day)[municipality.id]
    return officers or correspondent_address(municipality)
