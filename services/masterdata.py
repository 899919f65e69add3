"""Master-data rules that need the database, checked inside the writer's transaction.

The admin, the imports and the CLI call the same `check_*` function after writing (before commit);
a DomainError rolls the whole write back. Rules: R6, R10, R12, R13, R18, R26 (issue 3).
"""
import re
from datetime import date

from core.calendar import HalfYear
from core.validity import overlaps
from models import (
    Budget,
    Clawback,
    Contract,
    ContractMember,
    Correspondent,
    ForeignPopulation,
    FormField,
    FormVersion,
    Invoice,
    LedgerEntry,
    Municipality,
    OfficerAssignment,
    PayoutLine,
    PayoutRun,
    Report,
    RunStatus,
    SelfDeclaration,
    Status,
    Tariff,
    User,
)

from .errors import DomainError
from .validation import address_problem, bfs_problem, email_problem, phone_problem, successor_problem, validity_problem


def first_overlap(query, start: date, end: date | None):
    """The earliest row of `query` (over a dated model) valid on a day of [start, end], or None.

    The one overlap check of master data: the checks below and the contract import use it.
    """
    model = query.model
    return query.where(model.overlapping(start, end)).order_by(model.valid_from).first()


def _range(valid_from: date, valid_to: date | None) -> str:
    return f"{valid_from:%d.%m.%Y}–{valid_to:%d.%m.%Y}" if valid_to else f"ab {valid_from:%d.%m.%Y}"


def refuse(field: str, message: str):
    """Raise the German message, placed next to `field` where a form shows it."""
    raise DomainError(message, {field: [message]})


def check_municipality(muni: Municipality) -> None:
    if problem := bfs_problem(muni.bfs_nr):
        refuse("bfs_nr", problem)
    clash = Municipality.get_or_none((Municipality.bfs_nr == muni.bfs_nr) & (Municipality.id != muni.id))
    if clash:
        refuse("bfs_nr", f"Die BFS-Nummer {muni.bfs_nr} gehört bereits zu {clash.name}.")
    if problem := validity_problem(muni.valid_from, muni.valid_to):
        refuse("valid_to", problem)
    if problem := address_problem(muni.street, muni.postcode):
        refuse("postcode" if "PLZ" in problem else "street", problem)
    if problem := email_problem(muni.finance_email):
        refuse("finance_email", problem)
    if muni.successor_id is not None:
        successor = Municipality.get_by_id(muni.successor_id)
        if successor.id == muni.id:
            refuse("successor", "Eine Gemeinde kann nicht ihre eigene Nachfolgerin sein.")
        if problem := successor_problem(muni.valid_to, successor.valid_from, successor.valid_to):
            refuse("successor", problem)


def check_contract(contract: Contract) -> None:
    """A municipality belongs to at most one contract on any date; a lead is nobody's member (R12)."""
    if problem := validity_problem(contract.valid_from, contract.valid_to):
        refuse("valid_to", problem)
    if contract.payee not in ("lead", "member"):
        refuse("payee", "Zahlungsempfänger ist die Leitgemeinde oder jede Gemeinde selbst (R13).")
    members = list(ContractMember.select().where(ContractMember.contract == contract.id))
    for member in members:
        name = Municipality.get_by_id(member.municipality_id).name
        if problem := validity_problem(member.valid_from, member.valid_to):
            refuse("members", f"{name}: {problem}")
        if member.valid_from < contract.valid_from or (
            contract.valid_to and (member.valid_to is None or member.valid_to > contract.valid_to)
        ):
            refuse("members", f"{name}: die Mitgliedschaft muss innerhalb der Vertragsdauer "
                             f"{_range(contract.valid_from, contract.valid_to)} liegen.")
        if member.municipality_id == contract.lead_id:
            refuse("members", f"{name} ist Leitgemeinde und kann nicht Mitglied desselben Vertrags sein.")
    for municipality_id in {contract.lead_id} | {m.municipality_id for m in members}:
        _check_single_contract(municipality_id)


def _check_single_contract(municipality_id: int) -> None:
    """All periods in which the municipality belongs to a contract (as lead or member) are disjoint."""
    periods = [(c.valid_from, c.valid_to, c.reference, "Leitgemeinde")
               for c in Contract.select().where(Contract.lead == municipality_id)]
    periods += [(m.valid_from, m.valid_to, m.contract.reference, "Mitglied")
                for m in ContractMember.select(ContractMember, Contract).join(Contract)
                .where(ContractMember.municipality == municipality_id)]
    periods.sort(key=lambda p: p[0])
    for index, first in enumerate(periods):
        for second in periods[index + 1:]:
            if overlaps(first[0], first[1], second[0], second[1]):
                name = Municipality.get_by_id(municipality_id).name
                refuse("members", f"{name} gehört am {max(first[0], second[0]):%d.%m.%Y} zu zwei "
                                 f"Verträgen ({first[3]} in «{first[2]}», {second[3]} in «{second[2]}»); "
                                 "eine Gemeinde gehört an jedem Tag höchstens einem Vertrag an.")


def check_tariff(tariff: Tariff) -> None:
    """R6: starts on 01.01. or 01.07., ends on 30.06. or 31.12., no overlap per kind."""
    if (tariff.valid_from.month, tariff.valid_from.day) not in ((1, 1), (7, 1)):
        refuse("valid_from", "Ein Tarif beginnt am 01.01. oder am 01.07., weil Reportings Halbjahre "
                            "abdecken (R6).")
    if tariff.valid_to and (tariff.valid_to.month, tariff.valid_to.day) not in ((6, 30), (12, 31)):
        refuse("valid_to", "Ein Tarif endet am 30.06. oder am 31.12. (R6).")
    if problem := validity_problem(tariff.valid_from, tariff.valid_to):
        refuse("valid_to", problem)
    if tariff.amount is None or tariff.amount < 0:
        refuse("amount", "Der Betrag muss 0 oder grösser sein.")
    if not (tariff.reference or "").strip():
        refuse("reference", "Bitte die Rechtsgrundlage angeben (Ziffer und Änderung, R5).")
    others = Tariff.select().where((Tariff.kind == tariff.kind) & (Tariff.id != tariff.id))
    if other := first_overlap(others, tariff.valid_from, tariff.valid_to):
        refuse("valid_from", f"Überschneidet sich mit dem Tarif {_range(other.valid_from, other.valid_to)} "
                            "derselben Art; zuerst dessen Gültigkeit beenden.")


def check_population(count: ForeignPopulation) -> None:
    if count.count is None or count.count < 0:
        refuse("count", "Der Ausländerbestand muss 0 oder grösser sein.")
    if (count.reference_date.month, count.reference_date.day) != (12, 31):
        refuse("reference_date", "Der Stichtag muss der 31. Dezember sein (R10).")


def form_version_frozen(version_id: int) -> bool:
    """A version that a submitted or accepted document uses can only be superseded (R18)."""
    used = (Report.select().where((Report.form_version == version_id) & (Report.status != Status.DRAFT))
            .exists()
            or SelfDeclaration.select().where((SelfDeclaration.form_version == version_id)
                                              & (SelfDeclaration.status != Status.DRAFT)).exists())
    return used


def check_form_version(version: FormVersion, before: dict | None = None, after: dict | None = None) -> None:
    """No overlap per form type; a frozen version may only get an end date (to be superseded).

    `before`/`after` are audit snapshots including the fields, given when an existing version changes.
    """
    if problem := validity_problem(version.valid_from, version.valid_to):
        refuse("valid_to", problem)
    others = FormVersion.select().where((FormVersion.form_type == version.form_type) & (FormVersion.id != version.id))
    if other := first_overlap(others, version.valid_from, version.valid_to):
        refuse("valid_from", f"Überschneidet sich mit «{other.name}» "
                            f"({_range(other.valid_from, other.valid_to)}); zuerst deren Gültigkeit beenden.")
    fields = list(FormField.select().where(FormField.form_version == version.id))
    keys = [f.key for f in fields]
    if len(keys) != len(set(keys)):
        refuse("fields", "Jeder Feldschlüssel darf pro Version nur einmal vorkommen.")
    for field in fields:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", field.key or "") or field.key in ("lock", "csrf_token"):
            refuse("fields", f"Feld «{field.key}»: Schlüssel aus Kleinbuchstaben, Ziffern und _ "
                             "(z. B. first_info_interviews).")
        if field.field_type == "choice" and not field.choice_pairs():
            refuse("fields", f"Feld «{field.key}»: ein Auswahlfeld braucht mindestens eine Option.")
        if field.min_value is not None and field.max_value is not None and field.min_value > field.max_value:
            refuse("fields", f"Feld «{field.key}»: das Minimum ist grösser als das Maximum.")
    if before is None or after is None or not form_version_frozen(version.id):
        return
    if any(before.get(name) != after.get(name) for name in set(before) | set(after) if name != "valid_to"):
        raise DomainError("Diese Formularversion wird von eingereichten Formularen verwendet und kann nicht "
                          "mehr geändert werden; bitte eine neue Version erfassen und bei dieser nur das "
                          "Gültigkeitsende setzen (R18).")
    periods = [HalfYear(r.year, r.half).start
               for r in Report.select().where((Report.form_version == version.id) & (Report.status != Status.DRAFT))]
    periods += [date(d.year, 1, 1) for d in SelfDeclaration.select().where(
        (SelfDeclaration.form_version == version.id) & (SelfDeclaration.status != Status.DRAFT))]
    if version.valid_to and periods and version.valid_to < max(periods):
        refuse("valid_to", f"Eingereichte Formulare bis {max(periods):%d.%m.%Y} verwenden diese Version.")


def check_officer_assignment(assignment: OfficerAssignment) -> None:
    user = User.get_by_id(assignment.user_id)
    if user.role != "officer":
        refuse("user", f"{user.email} hat nicht die Rolle Integrationsbeauftragte/r.")
    if problem := validity_problem(assignment.valid_from, assignment.valid_to):
        refuse("valid_to", problem)
    others = OfficerAssignment.select().where(
        (OfficerAssignment.user == assignment.user_id)
        & (OfficerAssignment.municipality == assignment.municipality_id)
        & (OfficerAssignment.id != assignment.id)
    )
    if other := first_overlap(others, assignment.valid_from, assignment.valid_to):
        refuse("valid_from", f"Es gibt schon eine Zuordnung {_range(other.valid_from, other.valid_to)} "
                            "für diese Person und Gemeinde.")


def check_correspondent(correspondent: Correspondent) -> None:
    """§4.5.1: a named contact with a valid address; one per municipality on any day, history kept."""
    check_text("name", correspondent.name, "den Namen")
    if not (correspondent.email or "").strip():
        refuse("email", "Bitte die E-Mail-Adresse angeben.")
    if problem := email_problem(correspondent.email):
        refuse("email", problem)
    if problem := phone_problem(correspondent.phone):
        refuse("phone", problem)
    if correspondent.valid_from is None:
        refuse("valid_from", "Bitte das Datum «Gültig ab» angeben.")
    if problem := validity_problem(correspondent.valid_from, correspondent.valid_to):
        refuse("valid_to", problem)
    others = Correspondent.select().where((Correspondent.municipality == correspondent.municipality_id)
                                          & (Correspondent.id != (correspondent.id or 0)))
    if other := first_overlap(others, correspondent.valid_from, correspondent.valid_to):
        refuse("valid_from", f"{other.name} ist {_range(other.valid_from, other.valid_to)} Korrespondenzperson "
                             "dieser Gemeinde: bitte deren Gültigkeit zuerst beenden.")


def check_text(field: str, value: str | None, label: str) -> None:
    if not (value or "").strip():
        refuse(field, f"Bitte {label} angeben.")


def check_decision(decision) -> None:
    """A decision names its reason and concerns documents of its own municipality (R14)."""
    check_text("reason", decision.reason, "eine Begründung")
    for name, model in (("report", Report), ("self_declaration", SelfDeclaration)):
        document_id = getattr(decision, f"{name}_id")
        if document_id and model.get_by_id(document_id).municipality_id != decision.municipality_id:
            refuse(name, "Das Dokument gehört zu einer anderen Gemeinde.")
    if decision.kind in ("refuse_late_report", "pay_late_report"):
        if not decision.report_id:
            refuse("report", "Bitte das verspätete Reporting wählen.")
        if not Report.get_by_id(decision.report_id).late:
            refuse("report", "Dieses Reporting ist nicht verspätet eingereicht worden (R14).")
    if decision.kind in ("refuse_contribution", "pay_after_close"):
        check_contribution_decision(decision)


CONTRIBUTION_PARTS = {"fees": "Pauschalen eines Halbjahres", "base_contribution": "Sockelbeitrag eines Jahres"}
_HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")


def check_contribution_decision(decision) -> None:
    """§4.7, R17: a refusal (or a payment after the year's close) names a claim that exists and is not yet paid."""
    if decision.component not in CONTRIBUTION_PARTS:
        refuse("component", "Bitte «fees» (Pauschalen eines Halbjahres) oder «base_contribution» (Sockelbeitrag) "
                            "wählen.")
    period = (decision.period or "").strip()
    match = _HALF_YEAR.match(period) if decision.component == "fees" else re.match(r"^(\d{4})$", period)
    if not match:
        refuse("period", "Periode als 2026-H1 / 2026-H2 (Pauschalen) oder 2026 (Sockelbeitrag) angeben.")
    year = int(match[1])
    municipality = Municipality.get_by_id(decision.municipality_id)
    if decision.component == "fees":
        report = Report.get_or_none((Report.municipality == municipality.id) & (Report.year == year)
                                    & (Report.half == int(match[2])))
        if report is None:
            refuse("period", f"Für {municipality.name} gibt es kein Reporting {period}: nichts zu entscheiden.")
        paid = LedgerEntry.select().where((LedgerEntry.municipality == municipality.id)
                                          & (LedgerEntry.claim == period)
                                          & (LedgerEntry.component != "base_contribution")).exists()
    else:
        if not municipality.overlaps(date(year, 1, 1), date(year, 12, 31)):
            refuse("period", f"{municipality.name} bestand {year} nicht: nichts zu entscheiden.")
        paid = LedgerEntry.select().where((LedgerEntry.municipality == municipality.id) & (LedgerEntry.claim == period)
                                          & (LedgerEntry.component == "base_contribution")).exists()
    if paid and decision.kind == "refuse_contribution":
        refuse("period", f"{period} von {municipality.name} ist bereits ausbezahlt: nichts mehr zu verweigern; "
                         "allenfalls eine Rückforderung erfassen (§4.7).")
    if decision.kind == "pay_after_close":
        budget = Budget.get_or_none(Budget.year == year)
        if budget is None or budget.closed_at is None:
            refuse("period", f"Das Jahr {year} ist nicht abgeschlossen: es braucht keinen Entscheid (R17).")
    decision.period = period


def check_budget(credit) -> None:
    if credit is None or credit < 0:
        refuse("credit", "Der Kredit muss 0 oder grösser sein.")


def check_clawback(clawback: Clawback, existing: bool) -> None:
    """R16: a positive amount with a reason; once offset in an approved run it is history."""
    check_text("reason", clawback.reason, "eine Begründung")
    if clawback.amount is None or clawback.amount <= 0:
        refuse("amount", "Der Betrag muss grösser als 0 sein.")
    if existing and (PayoutLine.select().join(PayoutRun).where(
        (PayoutLine.clawback == clawback.id) & (PayoutRun.status != RunStatus.DRAFT)
    ).exists() or Invoice.select().where(Invoice.clawback == clawback.id).exists()):
        raise DomainError("Diese Rückforderung ist in einer freigegebenen Auszahlung verrechnet oder in Rechnung "
                          "gestellt und kann nicht mehr geändert werden (R16).")
