"""The next tasks of a user's role, with counts and where to do them (issue 18: "3 Formulare zu prüfen").

Each task is asked of the policy (`can`), so a role sees only what it may do; a task with nothing to do is
left out. All counts are read in one statement (sub-selects), a run's id only when exactly one is waiting.
"""
from dataclasses import dataclass, field
from datetime import date

from peewee import Select, fn

from auth.policy import can, municipality_ids
from models import Invoice, OutboxMessage, PayoutRun, Report, RunStatus, SampleItem, SelfDeclaration, Status, db


@dataclass(frozen=True)
class Task:
    count: int
    text: str  # already in singular or plural
    endpoint: str
    args: dict = field(default_factory=dict)
    urgent: bool = False


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _run_target(status: str, count: int) -> tuple[str, dict]:
    """The run itself when exactly one waits, else the list of runs."""
    if count == 1:
        run = PayoutRun.get_or_none(PayoutRun.status == status)
        if run is not None:
            return "payouts.run_detail", {"run_id": run.id}
    return "payouts.runs", {}


def _counts(user, today: date) -> dict[str, int]:
    queries = {}
    if can(user, "document.review"):
        queries["reports"] = Report.select(fn.COUNT(Report.id)).where(Report.status == Status.SUBMITTED)
        queries["declarations"] = SelfDeclaration.select(fn.COUNT(SelfDeclaration.id)).where(
            SelfDeclaration.status == Status.SUBMITTED)
    if can(user, "run.prepare") or can(user, "run.approve"):
        queries["draft_runs"] = PayoutRun.select(fn.COUNT(PayoutRun.id)).where(PayoutRun.status == RunStatus.DRAFT)
    if can(user, "run.book"):
        queries["approved_runs"] = PayoutRun.select(fn.COUNT(PayoutRun.id)).where(
            PayoutRun.status == RunStatus.APPROVED)
    if can(user, "invoice.pay"):
        queries["overdue_invoices"] = Invoice.select(fn.COUNT(Invoice.id)).where(
            (Invoice.status == "open") & (Invoice.due_date < today))
    if can(user, "outbox.resend"):
        queries["undelivered"] = OutboxMessage.select(fn.COUNT(OutboxMessage.id)).where(
            OutboxMessage.status.in_(("failed", "no_address")))
    if can(user, "sample.proposal"):
        queries["proposals"] = SampleItem.select(fn.COUNT(SampleItem.id)).where(SampleItem.proposal == "open")
    if can(user, "sample.judge"):
        queries["to_judge"] = SampleItem.select(fn.COUNT(SampleItem.id)).where(SampleItem.status != "decided")
    if can(user, "evidence.upload"):
        own = municipality_ids(user, "evidence.upload", today) or {0}
        queries["evidence"] = SampleItem.select(fn.COUNT(SampleItem.id)).where(
            (SampleItem.status == "requested") & SampleItem.municipality.in_(list(own)))
    if not queries:
        return {}
    row = db.execute(Select(columns=list(queries.values()))).fetchone()
    return dict(zip(queries, row, strict=True))


def next_tasks(user, today: date, overdue_reports: int = 0) -> list[Task]:
    """The role's tasks; `overdue_reports` comes from the admin overview, which has already counted them."""
    counts = _counts(user, today)
    tasks: list[Task] = []
    review = counts.get("reports", 0) + counts.get("declarations", 0)
    if review:
        tasks.append(Task(review, _n(review, "Formular zu prüfen", "Formulare zu prüfen"), "portal.queue"))
    if overdue_reports and can(user, "deadlines.read"):
        tasks.append(Task(overdue_reports, _n(overdue_reports, "Reporting nach Fristablauf offen",
                                              "Reportings nach Fristablauf offen"), "deadlines.index"))
    if draft := counts.get("draft_runs", 0):
        endpoint, args = _run_target(RunStatus.DRAFT, draft)
        if can(user, "run.approve"):
            tasks.append(Task(draft, _n(draft, "Lauf wartet auf Freigabe", "Läufe warten auf Freigabe"),
                              endpoint, args, urgent=True))
        else:
            tasks.append(Task(draft, _n(draft, "Lauf im Entwurf (bei der Buchhaltung zur Freigabe)",
                                        "Läufe im Entwurf"), endpoint, args))
    if approved := counts.get("approved_runs", 0):
        endpoint, args = _run_target(RunStatus.APPROVED, approved)
        tasks.append(Task(approved, _n(approved, "freigegebener Lauf ist noch nicht verbucht",
                                       "freigegebene Läufe sind noch nicht verbucht"), endpoint, args))
    if overdue := counts.get("overdue_invoices", 0):
        tasks.append(Task(overdue, _n(overdue, "Rechnung überfällig", "Rechnungen überfällig"), "invoices.overdue",
                          urgent=True))
    if undelivered := counts.get("undelivered", 0):
        tasks.append(Task(undelivered, _n(undelivered, "Nachricht nicht zugestellt", "Nachrichten nicht zugestellt"),
                          "outbox.index", {"status": "failed"}, urgent=True))
    if proposals := counts.get("proposals", 0):
        tasks.append(Task(proposals, _n(proposals, "Rückforderungsvorschlag zu entscheiden",
                                        "Rückforderungsvorschläge zu entscheiden"), "samples.proposals"))
    if to_judge := counts.get("to_judge", 0):
        tasks.append(Task(to_judge, _n(to_judge, "Stichprobenposten zu beurteilen", "Stichprobenposten zu beurteilen"),
                          "samples.index"))
    if evidence := counts.get("evidence", 0):
        tasks.append(Task(evidence, _n(evidence, "Beleganforderung offen", "Beleganforderungen offen"),
                          "samples.officer_items", urgent=True))
    return tasks
