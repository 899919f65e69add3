"""Payout runs: prepare (admin) → approve (accountant ≠ preparer) → book; clawbacks and budgets (R4–R17)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import IntegrityError, fn

from auth.policy import require
from core.calendar import is_payout_date, next_payout_date
from core.formatting import chf
from models import (
    Budget,
    Clawback,
    Invoice,
    LedgerEntry,
    Municipality,
    PayoutLine,
    PayoutRun,
    RunPayee,
    RunStatus,
    User,
    db,
    utcnow,
)
from payouts.inputs import Issue, fingerprint
from payouts.loader import load_inputs
from payouts.offsets import invoice_due
from payouts.rules import compute
from payouts.writer import issues_payload, ledger_rows, replace_lines, replace_payees

from . import invoices, letters, paging, settings
from .audit import Actor, record, snapshot
from .errors import DomainError
from .masterdata import check_budget, check_clawback
from .validation import normalise_iban

ZERO = Decimal("0.00")


SETTLED = RunStatus.SETTLED


def user_by_email(email: str) -> User:
    user = User.get_or_none(User.email == (email or "").strip().lower())
    if user is None:
        raise DomainError(f"Unbekannter Benutzer {email}.")
    return user


def check_payout_date(payout_date: date, today: date) -> None:
    if not is_payout_date(payout_date):
        raise DomainError(f"{payout_date:%d.%m.%Y} ist kein Auszahlungstermin: Auszahlungen erfolgen per 31.03. "
                          "und 30.09. (R4).", {"payout_date": ["Nur 31.03. oder 30.09. (R4)."]})
    if payout_date > next_payout_date(today):
        raise DomainError(f"Der {payout_date:%d.%m.%Y} liegt nach dem nächsten Auszahlungstermin "
                          f"{next_payout_date(today):%d.%m.%Y}; so weit im Voraus wird kein Lauf vorbereitet.",
                          {"payout_date": ["Höchstens der nächste Auszahlungstermin."]})


def run_summaries(runs: list[PayoutRun]) -> dict[int, dict]:
    """Lines, payable total, blockers and withheld items per run, in one query for all runs."""
    summaries = {run.id: {"lines": 0, "total": ZERO, "blockers": len(run.issues.get("blockers", [])),
                          "withheld": len(run.issues.get("withheld", []))} for run in runs}
    rows = (PayoutLine.select(PayoutLine.run, PayoutLine.status, fn.COUNT(PayoutLine.id), fn.SUM(PayoutLine.amount))
            .where(PayoutLine.run.in_(list(summaries))).group_by(PayoutLine.run, PayoutLine.status).tuples())
    for run_id, status, count, amount in rows:
        summaries[run_id]["lines"] += count
        if status == "payable":
            summaries[run_id]["total"] = PayoutLine.amount.python_value(amount or 0)
    return summaries


def run_summary(run: PayoutRun) -> dict:
    return run_summaries([run])[run.id]


STALE_RUN = "Lauf veraltet – bitte neu berechnen: seit der Berechnung hat sich geändert, worauf er beruht."


def _check_sequence(payout_date: date) -> date:
    """Go-live is set, the date lies on or after it and after the latest approved run; one draft at a time.

    Returns the go-live date (one query for it, one for the runs: preparing stays within its query budget).
    """
    start = settings.go_live()
    if start is None:
        raise DomainError("Go-live ist nicht gesetzt: zuerst `flask --app app settings go-live DATUM` ausführen "
                          "(ab welchem Auszahlungstermin das System zahlt).")
    if payout_date < start:
        raise DomainError(f"Der {payout_date:%d.%m.%Y} liegt vor dem Go-live {start:%d.%m.%Y}: frühere Termine "
                          "wurden ausserhalb des Systems abgerechnet.", {"payout_date": ["Nicht vor dem Go-live."]})
    runs = list(PayoutRun.select(PayoutRun.payout_date, PayoutRun.status).tuples())
    latest = max((day for day, status in runs if status in SETTLED), default=None)
    if latest is not None and payout_date <= latest:
        raise DomainError(f"Der Lauf per {latest:%d.%m.%Y} ist bereits freigegeben; ein neuer Lauf muss "
                          "danach liegen.", {"payout_date": ["Nach dem letzten freigegebenen Lauf."]})
    other = next((day for day, status in runs if status == RunStatus.DRAFT and day != payout_date), None)
    if other is not None:
        raise DomainError(f"Es gibt bereits einen Entwurf per {other:%d.%m.%Y}: bitte diesen freigeben "
                          "oder verwerfen, bevor ein anderer Termin berechnet wird.",
                          {"payout_date": ["Nur ein offener Entwurf."]})
    return start


def _iban_ok(value: str | None) -> bool:
    try:
        return normalise_iban(value) is not None
    except ValueError:
        return False


def _bank_blockers(result, municipalities: dict) -> list[Issue]:
    """A positive payout needs the payee's IBAN and creditor number (issue 13)."""
    blockers = []
    for payee_id, amount in sorted(result.net_by_payee().items()):
        payee = municipalities[payee_id]
        missing = []
        if amount > 0 and not _iban_ok(payee.iban):
            missing.append("gültige IBAN")
        if amount > 0 and not (payee.creditor_number or "").strip():
            missing.append("Kreditorennummer")
        if missing:
            blockers.append(Issue("bank_data", payee_id, f"{payee.name} erhält CHF {chf(amount)}, aber es fehlt "
                                  f"{' und '.join(missing)} (Stammdaten der Gemeinde).", "R13"))
    return blockers


def prepare(user: User, payout_date: date, today: date) -> PayoutRun:
    """Compute the run for a payout date; a draft is recomputed, an approved run never (R7)."""
    require(user, "run.prepare")
    check_payout_date(payout_date, today)
    actor = Actor.of(user)
    try:
        with db.atomic():
            run = PayoutRun.get_or_none(PayoutRun.payout_date == payout_date)
            if run is not None and run.status != RunStatus.DRAFT:
                state = "freigegeben" if run.status == RunStatus.APPROVED else "verbucht"
                raise DomainError(f"Der Lauf per {payout_date:%d.%m.%Y} ist bereits {state} und wird nicht neu "
                                  "berechnet (R7, R15).")
            inputs = load_inputs(payout_date, go_live=_check_sequence(payout_date))
            result = compute(inputs)
            municipalities = {m.id: m for m in inputs.municipalities}
            result.blockers.extend(_bank_blockers(result, municipalities))
            before = snapshot(run) if run else None
            if run is None:
                run = PayoutRun.create(payout_date=payout_date, prepared_by=user.id, issues_json=issues_payload(result),
                                       fingerprint=fingerprint(inputs))
            else:
                run.prepared_by, run.prepared_at = user.id, utcnow()
                run.version += 1
                run.issues_json = issues_payload(result)
                run.fingerprint = fingerprint(inputs)
                run.save()
            replace_lines(run, result)
            replace_payees(run, result, municipalities)
            record(actor, "prepare", run, before=before,
                   after={**snapshot(run), "total": str(result.total), "lines": len(result.lines)},
                   reason=f"Lauf per {payout_date:%d.%m.%Y} berechnet")
    except IntegrityError:
        raise DomainError("Der Lauf wurde gleichzeitig von jemand anderem vorbereitet; bitte neu laden.") from None
    return run


def _run_in(run_id: int, status: str, message: str) -> PayoutRun:
    run = PayoutRun.get_or_none(PayoutRun.id == run_id)
    if run is None or run.status != status:
        raise DomainError(message)
    return run


def discard(user: User, run_id: int) -> None:
    """Drop a draft (its lines and payees go with it); audited. Approved runs are never discarded."""
    require(user, "run.prepare")
    with db.atomic():
        run = _run_in(run_id, RunStatus.DRAFT, "Nur ein Entwurf kann verworfen werden.")
        before = snapshot(run)
        PayoutLine.delete().where(PayoutLine.run == run.id).execute()
        RunPayee.delete().where(RunPayee.run == run.id).execute()
        if PayoutRun.delete().where((PayoutRun.id == run.id) & (PayoutRun.status == RunStatus.DRAFT)).execute() != 1:
            raise DomainError("Der Lauf wurde inzwischen freigegeben; nichts verworfen.")
        record(Actor.of(user), "delete", model="PayoutRun", record_id=run.id, before=before,
               reason=f"Entwurf per {run.payout_date:%d.%m.%Y} verworfen")


def approve(user: User, run_id: int, version: int, today: date | None = None) -> PayoutRun:
    """Four eyes: an accountant who did not prepare it approves the version they saw, if nothing changed since."""
    require(user, "run.approve")
    today = today or date.today()
    run = PayoutRun.get_or_none(PayoutRun.id == run_id)
    if run is None:
        raise DomainError(f"Unbekannter Lauf {run_id}.")
    if run.status != RunStatus.DRAFT:
        raise DomainError(f"Der Lauf per {run.payout_date:%d.%m.%Y} ist bereits freigegeben.")
    if run.prepared_by_id == user.id:
        raise DomainError("Vier-Augen-Prinzip: Sie haben diesen Lauf vorbereitet und können ihn nicht freigeben.")
    if run.version != version:
        raise DomainError("Der Lauf wurde seit Ihrer Ansicht geändert (neu berechnet); bitte die aktuelle Fassung "
                          "prüfen.")
    blockers = run.issues.get("blockers", [])
    if blockers:
        raise DomainError("Freigabe nicht möglich, es gibt Blocker: " + " | ".join(b["message"] for b in blockers))
    actor = Actor.of(user)
    try:
        with db.atomic():
            if fingerprint(load_inputs(run.payout_date)) != run.fingerprint:
                raise DomainError(STALE_RUN)
            before = snapshot(run)
            changed = (PayoutRun.update(status=RunStatus.APPROVED, approved_by=user.id, approved_at=utcnow(),
                                        version=PayoutRun.version + 1)
                       .where((PayoutRun.id == run.id) & (PayoutRun.status == RunStatus.DRAFT)
                              & (PayoutRun.version == version)).execute())
            if changed != 1:
                raise DomainError("Der Lauf wurde inzwischen geändert oder freigegeben; bitte neu laden.")
            run = PayoutRun.get_by_id(run.id)
            LedgerEntry.insert_many(ledger_rows(run)).execute()
            record(actor, "approve", run, before=before, after=snapshot(run), reason="Freigabe (Vier-Augen-Prinzip)")
            _create_invoices(actor, user, run, today)
    except IntegrityError:  # the ledger already holds a claim of this run: never paid twice
        raise DomainError(STALE_RUN) from None
    return run


def _create_invoices(actor: Actor, user: User, run: PayoutRun, today: date) -> None:
    """R16, §4.7: the excess of a clawback (or of a negative correction) over the debtor's credit is invoiced.

    The invoice is dated on approval and due 30 days later; numbers run per year (RE-2026-0001).
    """
    drafts = run.issues.get("invoices", [])
    prefix = f"RE-{today.year}-"
    last = (Invoice.select(fn.MAX(Invoice.number)).where(Invoice.number.startswith(prefix)).scalar() or "")
    sequence = int(last[len(prefix):]) if last[len(prefix):].isdigit() else 0
    for draft in drafts:
        amount = Decimal(draft["amount"])
        clawback_id = draft["clawback_id"]
        if clawback_id is None:  # a negative correction is a clawback (R16)
            clawback = Clawback.create(municipality=draft["municipality_id"], amount=amount, reason=draft["reason"],
                                       decided_on=today, decided_by=user.id)
            record(actor, "create", clawback, after=snapshot(clawback), reason="Negative Korrektur (R15/R16)")
            clawback_id = clawback.id
        sequence += 1
        invoice = Invoice.create(number=f"{prefix}{sequence:04d}", municipality=draft["municipality_id"],
                                 clawback=clawback_id, run=run.id, amount=amount, invoice_date=today,
                                 due_date=invoice_due(today))
        record(actor, "create", invoice, after=snapshot(invoice), reason="Rechnung für Rückforderungsrest (R16)")
        invoices.queue_on_approval(actor, invoice, today)  # issue 16: PDF with QR-bill to the finance office


def book(user: User, run_id: int, today: date | None = None) -> PayoutRun:
    """Mark an approved run as booked; its payout notices go to the outbox in the same transaction (issue 15)."""
    require(user, "run.book")
    actor = Actor.of(user)
    with db.atomic():
        run = _run_in(run_id, RunStatus.APPROVED, "Nur freigegebene Läufe können als verbucht markiert werden.")
        before = snapshot(run)
        changed = (PayoutRun.update(status=RunStatus.BOOKED, booked_by=user.id, booked_at=utcnow(),
                                    version=PayoutRun.version + 1)
                   .where((PayoutRun.id == run.id) & (PayoutRun.status == RunStatus.APPROVED)).execute())
        if changed != 1:
            raise DomainError("Der Lauf wurde inzwischen geändert; bitte neu laden.")
        run = PayoutRun.get_by_id(run.id)
        record(actor, "book", run, before=before, after=snapshot(run), reason="Verbucht")
        letters.queue_payout_notices(actor, run, today or date.today())
    return run


def add_clawback(user: User, bfs_nr: int, amount: Decimal, reason: str, decided_on: date,
                 source_report=None) -> Clawback:
    """Record a clawback (R16); `source_report` names the report it stems from (e.g. a sample, R24)."""
    require(user, "clawback.add")
    municipality = Municipality.get_or_none(Municipality.bfs_nr == bfs_nr)
    if municipality is None:
        raise DomainError(f"Unbekannte BFS-Nummer {bfs_nr}.")
    with db.atomic():
        clawback = Clawback(municipality=municipality, amount=amount, reason=(reason or "").strip(),
                            decided_on=decided_on, decided_by=user.id, source_report=source_report)
        check_clawback(clawback, existing=False)
        clawback.save()
        record(Actor.of(user), "create", clawback, after=snapshot(clawback), reason=clawback.reason)
    return clawback


def set_budget(user: User, year: int, credit: Decimal) -> Budget:
    require(user, "budget.set")
    check_budget(credit)
    if not 2017 <= year <= 2100:
        raise DomainError("Das Jahr muss zwischen 2017 und 2100 liegen.")
    with db.atomic():
        budget = Budget.get_or_none(Budget.year == year)
        if budget is not None and budget.closed_at is not None:
            raise DomainError(f"Das Jahr {year} ist abgeschlossen; sein Kredit wird nicht mehr geändert (R17).")
        before = snapshot(budget) if budget else None
        if budget is None:
            budget = Budget.create(year=year, credit=credit)
        else:
            budget.credit = credit
            budget.save()
        record(Actor.of(user), "create" if before is None else "update", budget, before=before,
               after=snapshot(budget))
    return budget


@dataclass
class BudgetYear:
    """R17, §4.3.4: what belongs to year Y (fees of H1 Y and H2 Y, base contribution Y), by claim year."""

    year: int
    credit: Decimal | None
    runs: list[tuple[PayoutRun, Decimal]]  # approved runs with the gross they credited to year Y
    offsets: Decimal = ZERO  # clawbacks offset in approved runs of the year (shown apart, not "used")
    invoiced: Decimal = ZERO  # invoices dated in the year
    budget: Budget | None = None

    @property
    def used(self) -> Decimal:
        return sum((amount for _, amount in self.runs), ZERO)

    @property
    def surplus(self) -> Decimal | None:
        """R17: what remains after the year's runs goes to the project credit for social integration."""
        if self.budget is not None and self.budget.surplus is not None:
            return self.budget.surplus
        return None if self.credit is None else self.credit - self.used

    @property
    def closed(self) -> bool:
        return self.budget is not None and self.budget.closed_at is not None


def budget_year(year: int) -> BudgetYear:
    budget = Budget.get_or_none(Budget.year == year)
    gross = dict(LedgerEntry.select(LedgerEntry.run, fn.SUM(LedgerEntry.amount)).where(LedgerEntry.claim_year == year)
                 .group_by(LedgerEntry.run).tuples())
    runs = [(run, LedgerEntry.amount.python_value(gross[run.id] or 0))
            for run in PayoutRun.select().where(PayoutRun.id.in_(list(gross))).order_by(PayoutRun.payout_date)]
    start, end = date(year, 1, 1), date(year, 12, 31)
    offsets = (PayoutLine.select(fn.SUM(PayoutLine.amount)).join(PayoutRun)
               .where((PayoutLine.component == "clawback_offset") & PayoutRun.status.in_(SETTLED)
                      & PayoutRun.payout_date.between(start, end)).scalar())
    invoiced = Invoice.select(fn.SUM(Invoice.amount)).where(Invoice.invoice_date.between(start, end)
                                                            & (Invoice.status != "cancelled")).scalar()
    return BudgetYear(year, budget.credit if budget else None, runs,
                      -PayoutLine.amount.python_value(offsets or 0), Invoice.amount.python_value(invoiced or 0),
                      budget)


def close_year(user: User, year: int) -> Budget:
    """R17: record the surplus of year Y to the project credit, once; later claims of Y need a decision."""
    require(user, "budget.close")
    with db.atomic():
        budget = Budget.get_or_none(Budget.year == year)
        if budget is None:
            raise DomainError(f"Für {year} ist kein Kredit erfasst; zuerst das Budget setzen.")
        if budget.closed_at is not None:
            raise DomainError(f"Das Jahr {year} ist bereits abgeschlossen (am {budget.closed_at:%d.%m.%Y}, "
                              f"Überschuss CHF {chf(budget.surplus)}).")
        if PayoutRun.select().where(PayoutRun.status == RunStatus.DRAFT).exists():
            raise DomainError("Es gibt einen offenen Entwurf: zuerst freigeben oder verwerfen.")
        last_run = date(year + 1, 3, 31)  # H2 of Y is paid per 31.03.(Y+1) (R4)
        if not PayoutRun.select().where(PayoutRun.status.in_(SETTLED) & (PayoutRun.payout_date >= last_run)).exists():
            raise DomainError(f"Das Jahr {year} kann erst abgeschlossen werden, wenn der Lauf per "
                              f"{last_run:%d.%m.%Y} freigegeben ist: bis dahin werden Beiträge des Jahres "
                              "regulär bezahlt (R4, R17).")
        before = snapshot(budget)
        surplus = budget_year(year).surplus
        changed = (Budget.update(closed_at=utcnow(), closed_by=user.email, surplus=surplus)
                   .where((Budget.id == budget.id) & Budget.closed_at.is_null()).execute())
        if changed != 1:
            raise DomainError(f"Das Jahr {year} ist bereits abgeschlossen.")
        budget = Budget.get_by_id(budget.id)
        record(Actor.of(user), "close", budget, before=before, after=snapshot(budget),
               reason=f"Jahr {year} abgeschlossen: Überschuss CHF {chf(surplus)} an den Projektkredit (R17, §4.3.4)")
    return budget


def lines_page(run: PayoutRun, page: int, per_page: int = 200) -> paging.Page:
    """One page of a run's lines: two queries, whatever the page."""
    total = PayoutLine.select().where(PayoutLine.run == run.id).count()
    return paging.of_query(lines_of(run), total, page, per_page)


def lines_of(run: PayoutRun):
    """A run's lines with their municipality and payee loaded in the same query."""
    payee = Municipality.alias()
    return (PayoutLine.select(PayoutLine, Municipality, payee)
            .join(Municipality, on=PayoutLine.municipality)
            .switch(PayoutLine).join(payee, on=PayoutLine.payee)
            .where(PayoutLine.run == run.id).order_by(PayoutLine.payee, Municipality.bfs_nr, PayoutLine.component,
                                                      PayoutLine.period))
