"""Payout runs: prepare (admin) → approve (accountant ≠ preparer) → book; clawbacks and budgets (R4–R17)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import IntegrityError, fn

from auth.policy import require
from models import Budget, Clawback, Invoice, Municipality, PayoutLine, PayoutRun, User, db, utcnow
from core.calendar import is_payout_date, next_payout_date
from payouts.loader import load_inputs
from payouts.rules import compute, invoice_due
from payouts.writer import issues_payload, replace_lines

from . import paging
from .audit import Actor, record, snapshot
from .errors import DomainError
from .masterdata import check_budget, check_clawback

ZERO = Decimal("0.00")


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


def prepare(user: User, payout_date: date, today: date) -> PayoutRun:
    """Compute the run for a payout date; a draft is recomputed, an approved run never (R7)."""
    require(user, "run.prepare")
    check_payout_date(payout_date, today)
    actor = Actor.of(user)
    try:
        with db.atomic():
            run = PayoutRun.get_or_none(PayoutRun.payout_date == payout_date)
            if run is not None and run.status != "draft":
                state = "freigegeben" if run.status == "approved" else "verbucht"
                raise DomainError(f"Der Lauf per {payout_date:%d.%m.%Y} ist bereits {state} und wird nicht neu "
                                  "berechnet (R7, R15).")
            result = compute(load_inputs(payout_date))
            before = snapshot(run) if run else None
            if run is None:
                run = PayoutRun.create(payout_date=payout_date, prepared_by=user.id, issues_json=issues_payload(result))
            else:
                run.prepared_by, run.prepared_at = user.id, utcnow()
                run.version += 1
                run.issues_json = issues_payload(result)
                run.save()
            replace_lines(run, result)
            record(actor, "prepare", run, before=before,
                   after={**snapshot(run), "total": str(result.total), "lines": len(result.lines)},
                   reason=f"Lauf per {payout_date:%d.%m.%Y} berechnet")
    except IntegrityError:
        raise DomainError("Der Lauf wurde gleichzeitig von jemand anderem vorbereitet; bitte neu laden.") from None
    return run


def approve(user: User, run_id: int) -> PayoutRun:
    """Four eyes: an accountant who did not prepare it; exactly one approval even when concurrent."""
    require(user, "run.approve")
    run = PayoutRun.get_or_none(PayoutRun.id == run_id)
    if run is None:
        raise DomainError(f"Unbekannter Lauf {run_id}.")
    if run.status != "draft":
        raise DomainError(f"Der Lauf per {run.payout_date:%d.%m.%Y} ist bereits freigegeben.")
    if run.prepared_by_id == user.id:
        raise DomainError("Vier-Augen-Prinzip: Sie haben diesen Lauf vorbereitet und können ihn nicht freigeben.")
    blockers = run.issues.get("blockers", [])
    if blockers:
        raise DomainError("Freigabe nicht möglich, es gibt Blocker: " + " | ".join(b["message"] for b in blockers))
    actor = Actor.of(user)
    with db.atomic():
        before = snapshot(run)
        changed = (PayoutRun.update(status="approved", approved_by=user.id, approved_at=utcnow(),
                                    version=PayoutRun.version + 1)
                   .where((PayoutRun.id == run.id) & (PayoutRun.status == "draft")
                          & (PayoutRun.version == run.version)).execute())
        if changed != 1:
            raise DomainError("Der Lauf wurde inzwischen geändert oder freigegeben; bitte neu laden.")
        run = PayoutRun.get_by_id(run.id)
        record(actor, "approve", run, before=before, after=snapshot(run), reason="Freigabe (Vier-Augen-Prinzip)")
        _create_invoices(actor, user, run)
    return run


def _create_invoices(actor: Actor, user: User, run: PayoutRun) -> None:
    """R16: the excess of a clawback (or of a negative correction) over the payout is invoiced."""
    for number, draft in enumerate(run.issues.get("invoices", []), start=1):
        amount = Decimal(draft["amount"])
        clawback_id = draft["clawback_id"]
        if clawback_id is None:  # a negative correction is a clawback (R16)
            clawback = Clawback.create(municipality=draft["municipality_id"], amount=amount, reason=draft["reason"],
                                       decided_on=run.payout_date, decided_by=user.id)
            record(actor, "create", clawback, after=snapshot(clawback), reason="Negative Korrektur (R15/R16)")
            clawback_id = clawback.id
        invoice = Invoice.create(number=f"RE-{run.payout_date:%Y%m%d}-{number:04d}",
                                 municipality=draft["municipality_id"], clawback=clawback_id, run=run.id,
                                 amount=amount, invoice_date=run.payout_date, due_date=invoice_due(run.payout_date))
        record(actor, "create", invoice, after=snapshot(invoice), reason="Rechnung für Rückforderungsrest (R16)")


def book(user: User, run_id: int) -> PayoutRun:
    require(user, "run.book")
    with db.atomic():
        run = PayoutRun.get_or_none(PayoutRun.id == run_id)
        if run is None or run.status != "approved":
            raise DomainError("Nur freigegebene Läufe können als verbucht markiert werden.")
        before = snapshot(run)
        changed = (PayoutRun.update(status="booked", booked_by=user.id, booked_at=utcnow(),
                                    version=PayoutRun.version + 1)
                   .where((PayoutRun.id == run.id) & (PayoutRun.status == "approved")).execute())
        if changed != 1:
            raise DomainError("Der Lauf wurde inzwischen geändert; bitte neu laden.")
        run = PayoutRun.get_by_id(run.id)
        record(Actor.of(user), "book", run, before=before, after=snapshot(run), reason="Verbucht")
    return run


def add_clawback(user: User, bfs_nr: int, amount: Decimal, reason: str, decided_on: date) -> Clawback:
    require(user, "clawback.add")
    municipality = Municipality.get_or_none(Municipality.bfs_nr == bfs_nr)
    if municipality is None:
        raise DomainError(f"Unbekannte BFS-Nummer {bfs_nr}.")
    with db.atomic():
        clawback = Clawback(municipality=municipality, amount=amount, reason=(reason or "").strip(),
                            decided_on=decided_on, decided_by=user.id)
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
    year: int
    credit: Decimal | None
    runs: list[tuple[PayoutRun, Decimal]]

    @property
    def used(self) -> Decimal:
        return sum((amount for _, amount in self.runs), ZERO)

    @property
    def surplus(self) -> Decimal | None:
        """R17: what remains after the year's runs goes to the project credit for social integration."""
        return None if self.credit is None else self.credit - self.used


def budget_year(year: int) -> BudgetYear:
    budget = Budget.get_or_none(Budget.year == year)
    totals = dict(PayoutLine.select(PayoutLine.run, fn.SUM(PayoutLine.amount)).join(PayoutRun)
                  .where((PayoutLine.status == "payable") & (PayoutRun.status.in_(("approved", "booked")))
                         & (PayoutRun.payout_date.between(date(year, 1, 1), date(year, 12, 31))))
                  .group_by(PayoutLine.run).tuples())
    runs = [(run, PayoutLine.amount.python_value(totals.get(run.id) or 0))
            for run in PayoutRun.select().where(PayoutRun.payout_date.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(PayoutRun.payout_date)]
    return BudgetYear(year, budget.credit if budget else None,
                      [(r, amount) for r, amount in runs if r.status in ("approved", "booked")])


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
