"""Report and self-declaration workflow (R2, R3, R19–R22): draft → submitted → accepted | returned.

Every transition is one transaction with its StatusChange and audit entry; the document's version
column makes a stale or double-clicked post fail instead of overwriting (optimistic locking). The
allowed transitions are the table `Submittable.TRANSITIONS`; what differs between report and
self-declaration (deadline, title, fee period) lives on the models, so nothing here asks for the type.
"""
from datetime import date, timedelta

from auth.policy import covers_period, require
from core.calendar import HalfYear
from models import FormVersion, Status, StatusChange, Submittable, Tariff, User, db, utcnow
from payouts.inputs import INTEGRATION_INTERVIEWS, INTERPRETED_INTERVIEWS, FeeItem
from payouts.rules import fee_items

from .audit import Actor, record, snapshot
from .errors import DomainError
from .notifications import review_notice

EDITABLE = Status.EDITABLE
STALE = ("Das Formular wurde inzwischen geändert oder eingereicht (z. B. in einem anderen Fenster). "
         "Es wurde nichts überschrieben; bitte die aktuelle Fassung prüfen.")


def report_rule_errors(values: dict, keys: set[str]) -> dict[str, str]:
    """R19 and R20 across fields; empty when the values may be submitted."""
    errors = {}
    if "integration_confirmation" in keys and int(values.get(INTEGRATION_INTERVIEWS) or 0) > 0 \
            and values.get("integration_confirmation") is not True:
        errors["integration_confirmation"] = ("Bei Integrationsgesprächen ist die Bestätigung nötig, dass sie durch "
                                              "start.integration geführt und für den Kanton nachprüfbar sind (R19).")
    over = [(interpreter, interviews) for interpreter, interviews in INTERPRETED_INTERVIEWS.items()
            if int(values.get(interpreter) or 0) > int(values.get(interviews) or 0)]
    if over and "interpreter_justification" in keys and not str(values.get("interpreter_justification") or "").strip():
        errors["interpreter_justification"] = ("Es gibt mehr Dolmetscheinsätze als Gespräche: bitte schriftlich "
                                               "begründen (R20).")
    return errors


def _no_errors(values: dict, keys: set[str]) -> dict[str, str]:
    return {}


RULE_CHECKS = {"report": report_rule_errors}  # cross-field checks before submission, by document kind


def rule_errors(document: Submittable, values: dict, keys: set[str]) -> dict[str, str]:
    """The cross-field rules of the document's kind (R19, R20 for reports); empty when it may be submitted."""
    return RULE_CHECKS.get(document.kind, _no_errors)(values, keys)


def fee_preview(document: Submittable, values: dict | None = None) -> list[FeeItem]:
    """What the document will trigger in a run, by the run's own rule `fee_items` (R6, R8, R9); [] for none."""
    period = document.fee_period
    if period is None:
        return []
    values = document.values if values is None else values
    tariffs = {t.kind: t for t in Tariff.select().where(Tariff.covering(period.start))}
    return fee_items(lambda key: int(values.get(key) or 0), period, lambda kind, _day: tariffs.get(kind))


def report_version(period: HalfYear) -> FormVersion | None:
    return FormVersion.valid_on("report", period.start)


def declaration_version(year: int) -> FormVersion | None:
    return FormVersion.valid_on("self_declaration", date(year, 1, 1))


def _was_accepted(document: Submittable) -> bool:
    link = document._history_link()
    return link.model.select().where((link == document.id) & (link.model.to_status == Status.ACCEPTED)).exists()


def _transition(document: Submittable, user: User, action: str, reason: str = "", on_behalf: bool = False,
                expected_version: int | None = None, today: date | None = None):
    """Apply an action of `Submittable.TRANSITIONS` with a conditional UPDATE on (id, version): exactly one of
    concurrent posts wins, and a status the action does not start from is refused (R22)."""
    model = type(document)
    allowed_from, to_status = model.transition(action)
    with db.atomic():
        current = model.get_by_id(document.id)
        if expected_version is not None and current.version != expected_version:
            raise DomainError(STALE)
        if current.status not in allowed_from:
            raise DomainError(STALE)
        before = snapshot(current)
        changes = {"status": to_status, "version": current.version + 1}
        if to_status == Status.SUBMITTED:
            # R14: lateness is judged on the municipality's submission; a correction the canton asked for after
            # accepting it (reopen, R15) keeps the verdict of the accepted submission
            late = current.late if _was_accepted(current) else (today or date.today()) > current.deadline
            changes.update(submitted_by=user.id, submitted_at=utcnow(), late=late)
        updated = model.update(**changes).where((model.id == current.id) & (model.version == current.version)).execute()
        if updated != 1:
            raise DomainError(STALE)
        fresh = model.get_by_id(current.id)
        change = fresh.status_change(from_status=current.status, to_status=to_status, user=user.id, reason=reason,
                                     on_behalf=on_behalf)
        actor = Actor.of(user)
        record(actor, "submit" if action == "submit" else to_status, fresh, before=before,
               after=snapshot(fresh), reason=reason or ("im Auftrag der Gemeinde" if on_behalf else ""))
        review_notice(actor, fresh, change, today)  # issue 15: returned / accepted, in this transaction
    return fresh


def save_draft(user: User, document: Submittable, values: dict, expected_version: int | None,
               on_behalf: bool = False):
    """Create or update a draft (also a returned document being corrected)."""
    require(user, "document.edit", document)
    model = type(document)
    actor = Actor.of(user)
    with db.atomic():
        if document.id is None:
            document.values = values
            document.status = Status.DRAFT
            document.save()
            document.status_change(from_status=None, to_status=Status.DRAFT, user=user.id, on_behalf=on_behalf)
            record(actor, "create", document, after=snapshot(document),
                   reason="im Auftrag der Gemeinde" if on_behalf else "")
            return document
        current = model.get_by_id(document.id)
        if not current.editable or (expected_version is not None and current.version != expected_version):
            raise DomainError(STALE)
        before = snapshot(current)
        updated = (model.update(values_json=model.encode(values), version=current.version + 1)
                   .where((model.id == current.id) & (model.version == current.version)).execute())
        if updated != 1:
            raise DomainError(STALE)
        fresh = model.get_by_id(current.id)
        record(actor, "update", fresh, before=before, after=snapshot(fresh),
               reason="im Auftrag der Gemeinde" if on_behalf else "")
        return fresh


def submit(user: User, document: Submittable, expected_version: int, on_behalf: bool = False,
           today: date | None = None):
    """Submit in time and in scope: after the period has ended, within the officer's assignment or contract."""
    require(user, "document.submit", document)
    today = today or date.today()
    if today < document.opens_on:
        raise DomainError(f"{document.title} kann erst ab {document.opens_on:%d.%m.%Y} eingereicht werden: "
                          f"der Zeitraum ist am {document.opens_on - timedelta(days=1):%d.%m.%Y} zu Ende (R1–R3).")
    if not covers_period(user, "document.submit", document):
        raise DomainError(f"{document.title} von {document.municipality.name} liegt ausserhalb Ihrer Zuständigkeit "
                          "(Zuordnung als IB oder Zusammenarbeitsvertrag, R12).")
    return _transition(document, user, "submit", on_behalf=on_behalf, expected_version=expected_version, today=today)


def reopen(user: User, document: Submittable, reason: str, expected_version: int | None = None):
    """The canton opens an accepted document for correction (R15, R22); the next run pays the difference."""
    require(user, "document.review", document)
    if not (reason or "").strip():
        raise DomainError("Bitte begründen, was zu korrigieren ist.", {"reason": ["Bitte eine Begründung angeben."]})
    return _transition(document, user, "reopen", reason=reason.strip(), expected_version=expected_version)


def accept(user: User, document: Submittable, expected_version: int | None = None):
    require(user, "document.review", document)
    return _transition(document, user, "accept", expected_version=expected_version)


def return_(user: User, document: Submittable, reason: str, expected_version: int | None = None):
    require(user, "document.review", document)
    if not (reason or "").strip():
        raise DomainError("Bitte begründen, was zu korrigieren ist.", {"reason": ["Bitte eine Begründung angeben."]})
    return _transition(document, user, "return", reason=reason.strip(), expected_version=expected_version)


def history(document: Submittable) -> list[StatusChange]:
    """The document's workflow steps, oldest first; none for a document not yet saved."""
    return document.history() if document.id is not None else []
