"""The officer's overview: periods and self-declarations of their municipalities, with deadlines (R1–R3, R12)."""
from dataclasses import dataclass
from datetime import date

from auth.responsibility import responsible_municipalities
from core.calendar import HalfYear, periods_between, self_declaration_deadline
from core.text import label_text
from models import STATUSES, Contract, ContractMember, Municipality, OfficerAssignment, Report, SelfDeclaration, Status

OPEN = "open"  # no document yet
STATE_LABELS = {OPEN: "offen", **STATUSES}
FIRST_PERIOD = HalfYear(2017, 1)


@dataclass
class Item:
    municipality: Municipality
    kind: str  # report | self_declaration
    label: str
    deadline: date
    state: str
    late: bool
    year: int
    half: int | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def needs_action(self) -> bool:
        return self.state == OPEN or self.state in Status.EDITABLE


@dataclass
class MunicipalityOverview:
    municipality: Municipality
    reports: list[Item]
    declarations: list[Item]


def _since_by_municipality(user, municipalities: list[Municipality], today: date) -> dict[int, date]:
    """When the officer became responsible: own assignment, or for a member the later of assignment and
    membership (two queries for any number of municipalities)."""
    own: dict[int, date] = {}
    for assignment in OfficerAssignment.select().where(OfficerAssignment.user == user):
        own[assignment.municipality_id] = min(own.get(assignment.municipality_id, assignment.valid_from),
                                              assignment.valid_from)
    since = {m.id: own[m.id] for m in municipalities if m.id in own}
    members = (ContractMember.select(ContractMember, Contract).join(Contract)
               .where(ContractMember.municipality.in_([m.id for m in municipalities if m.id not in own])
                      & Contract.lead.in_(list(own))))
    for membership in members:
        start = max(membership.valid_from, own[membership.contract.lead_id])
        since[membership.municipality_id] = min(since.get(membership.municipality_id, start), start)
    return {m.id: since.get(m.id, today) for m in municipalities}


def overviews_since(municipalities: list[Municipality], starts: dict[int, date], today: date):
    """Items per municipality from its start date up to today, in two queries for all of them.

    The one deadline and open-item calculation: the officer home, the reminders and the Fristen page use it.
    """
    ids = [m.id for m in municipalities]
    reports = {(r.municipality_id, r.year, r.half): r for r in Report.select().where(Report.municipality.in_(ids))}
    declarations = {(d.municipality_id, d.year): d
                    for d in SelfDeclaration.select().where(SelfDeclaration.municipality.in_(ids))}
    current = HalfYear.containing(today)
    overviews = []
    for muni in municipalities:
        since = max(starts[muni.id], FIRST_PERIOD.start)
        report_items = []
        for period in reversed(periods_between(HalfYear.containing(since), current)):
            report = reports.get((muni.id, period.year, period.half))
            report_items.append(Item(muni, "report", f"Reporting {period.label}", period.deadline,
                                     report.status if report else OPEN, _late(report, period.deadline, today),
                                     period.year, period.half))
        declaration_items = []
        for year in range(today.year + 1, max(since.year, 2018) - 1, -1):
            declaration = declarations.get((muni.id, year))
            deadline = self_declaration_deadline(year)
            declaration_items.append(Item(muni, "self_declaration", f"Selbstdeklaration {year}", deadline,
                                          declaration.status if declaration else OPEN,
                                          _late(declaration, deadline, today), year))
        overviews.append(MunicipalityOverview(muni, report_items, declaration_items))
    return overviews


def _late(document, deadline: date, today: date) -> bool:
    """Submitted documents carry their late flag (R14); open ones are late once the deadline passed."""
    if document is not None and document.status in Status.FILED:
        return bool(document.late)
    return today > deadline


def officer_overview(user, today: date) -> tuple[list[MunicipalityOverview], Item | None]:
    municipalities = responsible_municipalities(user, today)
    overviews = overviews_since(municipalities, _since_by_municipality(user, municipalities, today), today)
    todo = [i for o in overviews for i in o.reports + o.declarations if i.needs_action]
    next_action = min(todo, key=lambda i: (i.deadline, i.municipality.name)) if todo else None
    return overviews, next_action


def municipality_overview(municipality: Municipality, today: date, years: int = 3) -> MunicipalityOverview:
    """For the cantonal team and financial control: the last `years` years of one municipality."""
    start = date(today.year - years, 1, 1)
    if municipality.valid_from and municipality.valid_from > start:
        start = municipality.valid_from
    return overviews_since([municipality], {municipality.id: start}, today)[0]


def document_path(municipality_id: int, kind: str, year: int, half: int | None = None) -> str:
    """The portal page of a report or self-declaration, for messages written outside a request (issue 15)."""
    if kind == "report":
        return f"/gemeinden/{municipality_id}/reporting/{year}/{half}"
    return f"/gemeinden/{municipality_id}/selbstdeklaration/{year}"


def document_rows(document, values: dict) -> list[tuple[str, object]]:
    """The answers with the labels of the document's own form version (R18), as shown and printed."""
    rows = []
    for field in sorted(document.form_version.fields, key=lambda f: f.position):
        value = values.get(field.key)
        if field.field_type == "choice":
            value = dict(field.choice_pairs()).get(value, value)
        elif isinstance(value, bool):
            value = "Ja" if value else "Nein"
        rows.append((label_text(field.label), "–" if value in (None, "") else value))
    return rows


def prefill(document, user) -> dict:
    """Answers the application already knows for a new document (issue 18): the officer's name in the
    self-declaration, from the municipality's last declaration or else the signed-in officer."""
    if document.id is not None or document.kind != "self_declaration":
        return {}
    last = (SelfDeclaration.select().where((SelfDeclaration.municipality == document.municipality_id)
                                           & (SelfDeclaration.year < document.year))
            .order_by(SelfDeclaration.year.desc()).first())
    name = (last.values.get("officer_name") if last else None) or (user.name if user.role == "officer" else "")
    return {"officer_name": name} if name else {}
