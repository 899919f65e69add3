"""Report and self-declaration workflow (R2, R3, R19–R22): draft → submitted → accepted | returned.

Every transition is one transaction with its StatusChange and audit entry; the document's version
column makes a stale or double-clicked post fail instead of overwriting (optimistic locking).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models import FormVersion, Report, StatusChange, Tariff, User, db, utcnow
from payouts.calendar import HalfYear, self_declaration_deadline
from payouts.inputs import FEE_COMPONENTS, INTEGRATION_INTERVIEWS, INTERPRETED_INTERVIEWS

from .audit import Actor, record, snapshot
from .errors import DomainError

EDITABLE = ("draft", "returned")
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


@dataclass(frozen=True)
class FeePreview:
    label: str
    quantity: int
    rate: Decimal | None
    amount: Decimal | None


def fee_preview(values: dict, period: HalfYear) -> list[FeePreview]:
    """What the report will trigger at the tariffs valid on the period's first day (R6, R8, R9)."""
    tariffs = {t.kind: t for t in Tariff.select().where(Tariff.covering(period.start))}
    preview = []
    for key, kind, _rule, label in FEE_COMPONENTS.values():
        quantity = int(values.get(key) or 0)
        if quantity:
            tariff = tariffs.get(kind)
            preview.append(FeePreview(label, quantity, tariff.amount if tariff else None,
                                      tariff.amount * quantity if tariff else None))
    return preview


def report_version(period: HalfYear) -> FormVersion | None:
    return FormVersion.valid_on("report", period.start)


def declaration_version(year: int) -> FormVersion | None:
    return FormVersion.valid_on("self_declaration", date(year, 1, 1))


def deadline_of(document) -> date:
    if isinstance(document, Report):
        return HalfYear(document.year, document.half).deadline
    return self_declaration_deadline(document.year)


def _transition(document, user: User, to_status: str, reason: str = "", on_behalf: bool = False,
                expected_version: int | None = None, allowed_from=("draft",)):
    """Change status with a conditional UPDATE on (id, version): exactly one of concurrent posts wins."""
    model = type(document)
    with db.atomic():
        current = model.get_by_id(document.id)
        if expected_version is not None and current.version != expected_version:
            raise DomainError(STALE)
        if current.status not in allowed_from:
            raise DomainError(STALE)
        before = snapshot(current)
        changes = {"status": to_status, "version": current.version + 1}
        if to_status == "submitted":
            changes.update(submitted_by=user.id, submitted_at=utcnow(),
                           late=date.today() > deadline_of(current))
        updated = model.update(**changes).where((model.id == current.id) & (model.version == current.version)).execute()
        if updated != 1:
            raise DomainError(STALE)
        fresh = model.get_by_id(current.id)
        link = {"report": fresh} if model is Report else {"self_declaration": fresh}
        StatusChange.create(**link, from_status=current.status, to_status=to_status, user=user.id, reason=reason,
                            on_behalf=on_behalf)
        record(Actor.of(user), to_status if to_status != "submitted" else "submit", fresh, before=before,
               after=snapshot(fresh), reason=reason or ("im Auftrag der Gemeinde" if on_behalf else ""))
    return fresh


def _values_column(model) -> str:
    return "values_json" if model is Report else "answers_json"


def _encode(model, values: dict) -> str:
    holder = model()
    if model is Report:
        holder.values = values
        return holder.values_json
    holder.answers = values
    return holder.answers_json


def save_draft(user: User, document, values: dict, expected_version: int | None, on_behalf: bool = False):
    """Create or update a draft (also a returned document being corrected)."""
    model = type(document)
    actor = Actor.of(user)
    with db.atomic():
        if document.id is None:
            _encode_into(document, values)
            document.status = "draft"
            document.save()
            StatusChange.create(**({"report": document} if model is Report else {"self_declaration": document}),
                                from_status=None, to_status="draft", user=user.id, on_behalf=on_behalf)
            record(actor, "create", document, after=snapshot(document),
                   reason="im Auftrag der Gemeinde" if on_behalf else "")
            return document
        current = model.get_by_id(document.id)
        if current.status not in EDITABLE or (expected_version is not None and current.version != expected_version):
            raise DomainError(STALE)
        before = snapshot(current)
        updated = (model.update(**{_values_column(model): _encode(model, values), "version": current.version + 1})
                   .where((model.id == current.id) & (model.version == current.version)).execute())
        if updated != 1:
            raise DomainError(STALE)
        fresh = model.get_by_id(current.id)
        record(actor, "update", fresh, before=before, after=snapshot(fresh),
               reason="im Auftrag der Gemeinde" if on_behalf else "")
        return fresh


def _encode_into(document, values):
    if isinstance(document, Report):
        document.values = values
    else:
        document.answers = values


def submit(user: User, document, expected_version: int, on_behalf: bool = False):
    return _transition(document, user, "submitted", on_behalf=on_behalf, expected_version=expected_version,
                       allowed_from=EDITABLE)


def accept(user: User, document, expected_version: int | None = None):
    if user.role != "admin":
        raise DomainError("Nur die Koordinationsstelle kann annehmen.")
    return _transition(document, user, "accepted", expected_version=expected_version, allowed_from=("submitted",))


def return_(user: User, document, reason: str, expected_version: int | None = None):
    if user.role != "admin":
        raise DomainError("Nur die Koordinationsstelle kann zurückweisen.")
    if not (reason or "").strip():
        raise DomainError("Bitte begründen, was zu korrigieren ist.", {"reason": ["Bitte eine Begründung angeben."]})
    return _transition(document, user, "returned", reason=reason.strip(), expected_version=expected_version,
                       allowed_from=("submitted",))


def history(document) -> list[StatusChange]:
    column = StatusChange.report if isinstance(document, Report) else StatusChange.self_declaration
    return list(StatusChange.select(StatusChange, User).join(User).where(column == document.id)
                .order_by(StatusChange.at, StatusChange.id))
