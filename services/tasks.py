"""The next tasks of a user's role, with counts and where to do them (issue 18: "3 Berichte zu prüfen").

Each task is asked of the policy (`can`), so a role sees only what it may do; a task with nothing to do is
left out. A constant number of count queries, whatever the data.
"""
from dataclasses import dataclass, field
from datetime import date

from auth.policy import can, municipality_ids
from models import Invoice, OutboxMessage, PayoutRun, Report, RunStatus, SampleItem, SelfDeclaration, Status
from services import reminders
from services.errors import DomainError


@dataclass(frozen=True)
class Task:
    count: int
    text: str  # already in singular or plural
    endpoint: str
    args: dict = field(default_factory=dict)
    urgent: bool = False


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _single_run(status: str) -> tuple[int, dict]:
    runs = list(PayoutRun.select(PayoutRun.id).where(PayoutRun.status == status).limit(2))
    return len(runs), ({"run_id": runs[0].id} if len(runs) == 1 else {})


def next_tasks(user, today: date) -> list[Task]:
    tasks: list[Task] = []
    if can(user, "document.review"):
        count = (Report.select().where(Report.status == Status.SUBMITTED).count()
                 + SelfDeclaration.select().where(SelfDeclaration.status == Status.SUBMITTED).count())
        if count:
            tasks.append(Task(count, _n(count, "Formular zu prüfen", "Formulare zu prüfen"), "portal.queue"))
    if can(user, "run.prepare"):
        count, args = _single_run(RunStatus.DRAFT)
        if count:
            tasks.append(Task(count, _n(count, "Lauf im Entwurf (prüfen, neu berechnen oder der Buchhaltung übergeben)",
                                        "Läufe im Entwurf"), "payouts.run_detail" if args else "payouts.runs", args))
    if can(user, "run.approve"):
        count, args = _single_run(RunStatus.DRAFT)
        if count:
            tasks.append(Task(count, _n(count, "Lauf wartet auf Freigabe", "Läufe warten auf Freigabe"),
                              "payouts.run_detail" if args else "payouts.runs", args, urgent=True))
    if can(user, "run.book"):
        count, args = _single_run(RunStatus.APPROVED)
        if count:
            tasks.append(Task(count, _n(count, "freigegebener Lauf ist noch nicht verbucht",
                                        "freigegebene Läufe sind noch nicht verbucht"),
                              "payouts.run_detail" if args else "payouts.runs", args))
    if can(user, "invoice.pay"):
        count = (Invoice.select().where((Invoice.status == "open") & (Invoice.due_date < today)).count())
        if count:
            tasks.append(Task(count, _n(count, "Rechnung überfällig", "Rechnungen überfällig"), "invoices.overdue",
                              urgent=True))
    if can(user, "deadlines.read") and can(user, "admin.write"):
        try:
            overdue = sum(1 for item in reminders.open_items(today) if item.deadline < today)
        except DomainError:  # no go-live yet: nothing is followed up
            overdue = 0
        if overdue:
            tasks.append(Task(overdue, _n(overdue, "Formular überfällig", "Formulare überfällig"), "deadlines.index"))
    if can(user, "outbox.resend"):
        count = OutboxMessage.select().where(OutboxMessage.status.in_(("failed", "no_address"))).count()
        if count:
            tasks.append(Task(count, _n(count, "Nachricht nicht zugestellt", "Nachrichten nicht zugestellt"),
                              "outbox.index", {"status": "failed"}, urgent=True))
    if can(user, "sample.proposal"):
        count = SampleItem.select().where(SampleItem.proposal == "open").count()
        if count:
            tasks.append(Task(count, _n(count, "Rückforderungsvorschlag zu entscheiden",
                                        "Rückforderungsvorschläge zu entscheiden"), "samples.proposals"))
    if can(user, "sample.judge"):
        count = SampleItem.select().where(SampleItem.status != "decided").count()
        if count:
            tasks.append(Task(count, _n(count, "Stichprobenposten zu beurteilen", "Stichprobenposten zu beurteilen"),
                              "samples.index"))
    if can(user, "evidence.upload"):
        own = municipality_ids(user, "evidence.upload", today) or set()
        count = SampleItem.select().where((SampleItem.status == "requested")
                                          & SampleItem.municipality.in_(list(own))).count() if own else 0
        if count:
            tasks.append(Task(count, _n(count, "Beleganforderung offen", "Beleganforderungen offen"),
                              "samples.officer_items", urgent=True))
    return tasks
