"""Who receives a municipality's mail on a day (issue 15): its responsible officers (R12), its finance office
and its correspondent (§4.5.1) valid on that day.

The one place that turns municipalities into (name, address) pairs for `outbox.enqueue`.
"""
from datetime import date

from auth.responsibility import officers_responsible
from models import Correspondent


def officer_addresses(municipality_ids, day: date) -> dict[int, list[tuple[str, str]]]:
    """Per municipality the officers responsible on `day`: its own, or its contract lead's."""
    return {municipality_id: [(user.name or user.email, user.email) for user in users]
            for municipality_id, users in officers_responsible(municipality_ids, day).items()}


def finance_address(municipality) -> list[tuple[str, str]]:
    """The finance office (Finanzverwaltung) of the municipality, if it has an address."""
    if not municipality.finance_email:
        return []
    return [(f"Finanzverwaltung {municipality.name}", municipality.finance_email)]


def correspondent_addresses(municipality_ids, day: date) -> dict[int, list[tuple[str, str]]]:
    """Per municipality the correspondent (§4.5.1) valid on `day`, in one query."""
    ids = list(municipality_ids)
    if not ids:
        return {}
    rows = Correspondent.select().where(Correspondent.municipality.in_(ids) & Correspondent.covering(day))
    result: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        result.setdefault(row.municipality_id, []).append((row.name, row.email))
    return result


def municipality_addresses(municipalities, day: date, *, officers: bool = True, finance: bool = False,
                           correspondent: bool = False) -> dict[int, list[tuple[str, str]]]:
    """Officers, the finance office and/or the correspondent per municipality (duplicates are removed by
    `enqueue`)."""
    municipalities = list(municipalities)
    ids = [m.id for m in municipalities]
    by_officer = officer_addresses(ids, day) if officers else {}
    by_correspondent = correspondent_addresses(ids, day) if correspondent else {}
    return {m.id: by_officer.get(m.id, []) + (finance_address(m) if finance else []) + by_correspondent.get(m.id, [])
            for m in municipalities}


FINANCE_KINDS = frozenset({"payout_notice", "invoice", "anhang1"})  # money matters also go to the finance office


def current_addresses(municipality, kind: str, day: date) -> list[tuple[str, str]]:
    """Who would be addressed today for a message of `kind` (resending one that had no address)."""
    return municipality_addresses([municipality], day, finance=kind in FINANCE_KINDS,
                                  correspondent=True)[municipality.id]


def correspondent_address(municipality, day: date) -> list[tuple[str, str]]:
    """The Korrespondenzperson (§4.5.1) valid on `day`, written to when no officer is responsible."""
    return correspondent_addresses([municipality.id], day).get(municipality.id, [])


def officers_or_correspondent(municipality, day: date) -> list[tuple[str, str]]:
    """The officers responsible on `day` (R12), else the correspondent; [] leaves the message as "keine Adresse"."""
    officers = officer_addresses([municipality.id], day)[municipality.id]
    return officers or correspondent_address(municipality, day)
