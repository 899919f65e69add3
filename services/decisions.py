"""Decisions of the cantonal team that the payout engine applies (R14, R17, §4.7)."""
from datetime import date

from auth.policy import require
from models import DECISION_KINDS, Decision, Municipality, User, db

from .audit import Actor, record, snapshot
from .errors import DomainError
from .masterdata import check_decision


def add_decision(user: User, kind: str, bfs_nr: int, reason: str, decided_on: date, component: str | None = None,
                 period: str | None = None) -> Decision:
    """Record a decision, e.g. "Beitrag verweigert" for a municipality, component and period (§4.7)."""
    require(user, "decision.add")
    if kind not in DECISION_KINDS:
        raise DomainError(f"Unbekannte Entscheidart «{kind}»: {', '.join(DECISION_KINDS)}.")
    municipality = Municipality.get_or_none(Municipality.bfs_nr == bfs_nr)
    if municipality is None:
        raise DomainError(f"Unbekannte BFS-Nummer {bfs_nr}.")
    with db.atomic():
        decision = Decision(kind=kind, municipality=municipality, reason=(reason or "").strip(), decided_on=decided_on,
                            decided_by=user.id, component=component, period=period)
        check_decision(decision)
        decision.save()
        record(Actor.of(user), "create", decision, after=snapshot(decision), reason=decision.reason)
    return decision
