"""Who may do what: one table of actions × roles plus the per-record checks (R12, §6).

Routes (auth/guards.py), admin views, services and templates all ask `can`/`require`; nothing else
compares role strings. Granting a role a right is one line in RIGHTS (and its row in
tests/test_security_matrix.py).

A right is either ANY (every record) or OWN (only records of municipalities the user is
responsible for on the day, R12: their own municipality through an OfficerAssignment, plus the
members of the contracts their municipality leads). Without a record, `can` answers whether the
role has the action at all; with one, it also checks the record. Inactive users can do nothing,
and the auditor (Finanzkontrolle) holds no write action but the three of its random samples (R24).
"""
from datetime import date

from models import Municipality, PayoutLine, RunStatus

from .errors import PermissionDenied
from .responsibility import responsible_during, responsible_ids

ADMIN, OFFICER, ACCOUNTANT, AUDITOR = "admin", "officer", "accountant", "auditor"
ANY, OWN = "any", "own"

RIGHTS: dict[str, dict[str, str]] = {
    # master data and the admin (Flask-Admin)
    "admin.read": {ADMIN: ANY, AUDITOR: ANY},
    "admin.write": {ADMIN: ANY},
    "import.run": {ADMIN: ANY},
    # payout runs, lines and budgets (R4–R17)
    "run.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY},
    "run.prepare": {ADMIN: ANY},
    "run.approve": {ACCOUNTANT: ANY},
    "run.book": {ACCOUNTANT: ANY},
    "run.export": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY},
    "run.payment_file": {ACCOUNTANT: ANY},  # pain.001 (issue 16): whoever pays, not who prepares (four eyes)
    "line.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY, OFFICER: OWN},
    "budget.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY},
    "budget.set": {ADMIN: ANY},
    "budget.close": {ADMIN: ANY},
    "clawback.add": {ADMIN: ANY},
    "decision.add": {ADMIN: ANY},
    "settings.go_live": {ADMIN: ANY},
    "settings.edit": {ADMIN: ANY},
    "user.reset_second_factor": {ADMIN: ANY},
    "contributions.export": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY, OFFICER: OWN},
    # invoices (R16, §4.7, issue 16): the canton's accounting; officers are not granted (the finance office
    # of the municipality receives the invoice by mail)
    "invoice.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY},
    "invoice.pay": {ACCOUNTANT: ANY},
    "invoice.cancel": {ACCOUNTANT: ANY},
    "invoice.send": {ACCOUNTANT: ANY},
    # letters (issue 15): a payee's payout notice (officers: their own payee, approved/booked runs), Anhang 1
    "payout_notice.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY, OFFICER: OWN},
    "letters.send": {ADMIN: ANY},
    # municipalities, reports and self-declarations (R1–R3, R18–R22)
    "municipality.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY, OFFICER: OWN},
    "municipality.overview": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY},
    "portal.overview": {OFFICER: OWN},
    "document.read": {ADMIN: ANY, ACCOUNTANT: ANY, AUDITOR: ANY, OFFICER: OWN},
    "document.edit": {ADMIN: ANY, OFFICER: OWN},
    "document.submit": {ADMIN: ANY, OFFICER: OWN},
    "document.review": {ADMIN: ANY},
    "review.queue": {ADMIN: ANY, AUDITOR: ANY},
    # random samples of financial control (R24, §6): the auditor draws, requests evidence and judges;
    # officers upload evidence for their own municipalities; the admin decides proposed clawbacks
    "sample.read": {ADMIN: ANY, AUDITOR: ANY},
    "sample.draw": {AUDITOR: ANY},
    "sample.request": {AUDITOR: ANY},
    "sample.judge": {AUDITOR: ANY},
    "sample.export": {ADMIN: ANY, AUDITOR: ANY},
    "sample.proposal": {ADMIN: ANY},
    "evidence.upload": {OFFICER: OWN},
    "evidence.read": {ADMIN: ANY, AUDITOR: ANY, OFFICER: OWN},
    # the outbox (issue 15): the Postausgang page; a municipality's dispatch record is "municipality.read"
    "outbox.read": {ADMIN: ANY, AUDITOR: ANY},
    "outbox.resend": {ADMIN: ANY},
    # reminders and deadlines (issue 15, R2, R3)
    "deadlines.read": {ADMIN: ANY, AUDITOR: ANY},
    # controlling (issue 17, §4.3.3, §5.3): the dashboard for the canton and financial control; a
    # municipality's own series and yearly feedback also for its officers (R12); the simulator writes nothing
    "controlling.read": {ADMIN: ANY, AUDITOR: ANY},
    "controlling.municipality": {ADMIN: ANY, AUDITOR: ANY, OFFICER: OWN},
    "controlling.simulate": {ADMIN: ANY},
}
WRITES = frozenset({"admin.write", "import.run", "run.prepare", "run.approve", "run.book", "budget.set",
                    "budget.close", "clawback.add", "decision.add", "settings.go_live", "settings.edit",
                    "user.reset_second_factor", "document.edit", "document.submit", "document.review",
                    "invoice.pay", "invoice.cancel", "invoice.send", "letters.send", "sample.draw", "sample.request",
                    "sample.judge", "sample.proposal", "evidence.upload", "outbox.resend"})
READ_ONLY_ROLES = frozenset({AUDITOR})  # financial control reads everything and changes nothing (§6) …
# … except its own random samples (R24, §6: "Stichprobenkontrollen"): the one, named exception. Any other
# write granted to a read-only role fails the import-time check below and is refused by `scope`.
READ_ONLY_EXCEPTIONS = {AUDITOR: frozenset({"sample.draw", "sample.request", "sample.judge"})}

DENIED = "Diese Aktion ist für Ihre Rolle nicht erlaubt."
NOT_RESPONSIBLE = "Für diese Gemeinde sind Sie an diesem Tag nicht zuständig (R12)."


def _check_table() -> None:
    for action, grants in RIGHTS.items():
        if action in WRITES and any(action not in READ_ONLY_EXCEPTIONS.get(role, ()) for role in
                                    READ_ONLY_ROLES & set(grants)):
            raise AssertionError(f"{action}: read-only roles cannot hold a write action")
        if set(grants.values()) - {ANY, OWN}:
            raise AssertionError(f"{action}: scope must be ANY or OWN")


_check_table()


def scope(user, action: str) -> str | None:
    """ANY, OWN or None (no right) for an active user; unknown actions are an error, not a silent no."""
    grants = RIGHTS[action]
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if action in WRITES and user.role in READ_ONLY_ROLES and action not in READ_ONLY_EXCEPTIONS.get(user.role, ()):
        return None
    return grants.get(user.role)


def _municipality_ids(obj) -> set[int]:
    """The municipalities a record belongs to: itself, or its `municipality_id`.

    A payout line belongs to the municipality it pays for, not to its payee: after a contract ends, the
    lead's officer no longer reads a former member's lines with their remarks (issue 20, R12)."""
    if isinstance(obj, int):
        return {obj}
    if isinstance(obj, Municipality):
        return {obj.id}
    return {obj.municipality_id}


def can(user, action: str, obj=None, on: date | None = None) -> bool:
    """May `user` do `action` (on record `obj`, responsibility judged on day `on`, default today)?"""
    granted = scope(user, action)
    if granted is None:
        return False
    if obj is None:
        return True
    if isinstance(obj, PayoutLine) and not can(user, "run.read") and obj.run.status == RunStatus.DRAFT:
        return False  # a draft run is internal to the canton
    if granted == ANY:
        return True
    return bool(_municipality_ids(obj) & responsible_ids(user, on or date.today()))


def require(user, action: str, obj=None, on: date | None = None) -> None:
    """`can`, or raise PermissionDenied (a DomainError) with a German message."""
    if not can(user, action, obj, on):
        raise PermissionDenied(NOT_RESPONSIBLE if obj is not None and scope(user, action) else DENIED)


def covers_period(user, action: str, document) -> bool:
    """R12: an OWN grant also needs responsibility during the period the document reports on (`document.covers`),
    not only today: an officer files no half-year from before the assignment or outside the contract."""
    if scope(user, action) != OWN:
        return scope(user, action) == ANY
    return document.municipality_id in responsible_during(user, *document.covers)


def municipality_ids(user, action: str, on: date | None = None) -> set[int] | None:
    """The municipalities `action` is limited to: None for every one (ANY), else the responsible ones."""
    granted = scope(user, action)
    if granted == ANY:
        return None
    return responsible_ids(user, on or date.today()) if granted == OWN else set()


def on_behalf(user) -> bool:
    """Whoever edits every municipality's documents acts on the municipality's behalf (logged as such)."""
    return scope(user, "document.edit") == ANY
