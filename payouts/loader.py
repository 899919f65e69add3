"""Database rows → plain inputs for one run, in a constant number of queries (issue 5, issue 8)."""
import json
from collections import defaultdict
from datetime import date

from peewee import JOIN, fn

from core.calendar import HalfYear, fee_period
from models import (
    GO_LIVE,
    Budget,
    Clawback,
    Contract,
    ContractMember,
    Decision,
    ForeignPopulation,
    Invoice,
    LedgerEntry,
    Municipality,
    OfficerAssignment,
    PayoutLine,
    PayoutRun,
    Report,
    RunStatus,
    SelfDeclaration,
    Setting,
    Tariff,
)

from . import inputs

SETTLED_RUNS = RunStatus.SETTLED


def _municipalities() -> list[inputs.Municipality]:
    return [inputs.Municipality(m.id, m.bfs_nr, m.name, m.valid_from, m.valid_to, m.successor_id,
                                m.organisation_settled_on, m.creditor_number, m.iban)
            for m in Municipality.select().order_by(Municipality.bfs_nr)]


def _tariffs() -> list[inputs.Tariff]:
    return [inputs.Tariff(t.id, t.kind, t.amount, t.valid_from, t.valid_to, t.reference) for t in Tariff.select()]


def _population(first: date, last: date) -> list[inputs.Population]:
    return [inputs.Population(*row) for row in ForeignPopulation.select(
        ForeignPopulation.municipality, ForeignPopulation.reference_date, ForeignPopulation.count).where(
        ForeignPopulation.reference_date.between(first, last)).tuples()]


def load_base_inputs(year: int) -> inputs.RunInputs:
    """What the base contributions of a year need (Anhang 1, R10, R25, R26): three queries."""
    reference = date(year - 2, 12, 31)
    return inputs.RunInputs(payout_date=date(year, 3, 31), municipalities=_municipalities(), tariffs=_tariffs(),
                            population=_population(reference, reference))


def load_inputs(payout_date: date, go_live: date | None = None) -> inputs.RunInputs:
    """Everything a run needs; what was paid comes only from the ledger of approved runs (R7, R14, R15).

    `go_live` saves its query when the caller has just read it.
    """
    municipalities = _municipalities()
    tariffs = _tariffs()
    members, heads = defaultdict(list), {}
    for row in (Contract.select(Contract.id, Contract.reference, Contract.lead, Contract.payee, Contract.valid_from,
                                Contract.valid_to, ContractMember.municipality, ContractMember.valid_from,
                                ContractMember.valid_to)
                .join(ContractMember, JOIN.LEFT_OUTER).tuples()):
        heads[row[0]] = row[:6]
        if row[6] is not None:
            members[row[0]].append(inputs.Membership(*row[6:]))
    contracts = [inputs.Contract(*head, tuple(members[head[0]])) for head in heads.values()]
    assignments = [inputs.Assignment(a.municipality_id, a.valid_from, a.valid_to)
                   for a in OfficerAssignment.select(OfficerAssignment.municipality, OfficerAssignment.valid_from,
                                                     OfficerAssignment.valid_to)]
    if go_live is None:
        setting = Setting.get_or_none(Setting.key == GO_LIVE)
        go_live = date.fromisoformat(setting.value) if setting else None
    first_year = min(go_live or payout_date, payout_date).year - 1
    # Only the half-years and years a run may pay (R4, R14): from go-live on.
    reports = [inputs.Report(id_, municipality_id, HalfYear(year, half), status, late, json.loads(values or "{}"))
               for id_, municipality_id, year, half, status, late, values in Report.select(
                   Report.id, Report.municipality, Report.year, Report.half, Report.status, Report.late,
                   Report.values_json).where(Report.year.between(first_year, payout_date.year)).tuples()
               if HalfYear(year, half) <= fee_period(payout_date)]
    declarations = [inputs.SelfDeclaration(*row) for row in SelfDeclaration.select(
        SelfDeclaration.municipality, SelfDeclaration.year, SelfDeclaration.status).where(
        SelfDeclaration.year.between(first_year, payout_date.year)).tuples()]
    population = _population(date(first_year - 2, 12, 31), date(payout_date.year - 2, 12, 31))
    decisions = [inputs.Decision(d.kind, d.municipality_id, d.report_id, d.reason, d.component, d.period)
                 for d in Decision.select()]
    settled_runs = PayoutRun.select(PayoutRun.id).where(PayoutRun.status.in_(SETTLED_RUNS))
    offset_sum = (PayoutLine.select(fn.COALESCE(fn.SUM(PayoutLine.amount), 0))
                  .where((PayoutLine.clawback == Clawback.id) & PayoutLine.run.in_(settled_runs)))
    invoice_sum = Invoice.select(fn.COALESCE(fn.SUM(Invoice.amount), 0)).where(Invoice.clawback == Clawback.id)
    invoice_count = Invoice.select(fn.COUNT(Invoice.id)).where(Invoice.clawback == Clawback.id)
    cents = PayoutLine.amount.python_value  # subquery sums come back as raw centimes
    clawbacks = [inputs.Clawback(id_, municipality_id, amount, reason, decided_on,
                                 -cents(offset) + cents(invoiced), bool(invoices))
                 for id_, municipality_id, amount, reason, decided_on, offset, invoiced, invoices in Clawback.select(
                     Clawback.id, Clawback.municipality, Clawback.amount, Clawback.reason, Clawback.decided_on,
                     offset_sum.alias("offset_total"), invoice_sum.alias("invoiced_total"),
                     invoice_count.alias("invoice_count"))
                 .tuples()]
    ledger = [inputs.LedgerItem(*row) for row in LedgerEntry.select(
        LedgerEntry.municipality, LedgerEntry.component, LedgerEntry.claim, LedgerEntry.revision,
        LedgerEntry.quantity, LedgerEntry.rate, LedgerEntry.amount).tuples()]
    closed = frozenset(year for (year,) in Budget.select(Budget.year).where(Budget.closed_at.is_null(False)).tuples())
    return inputs.RunInputs(
        payout_date=payout_date, municipalities=municipalities, tariffs=tariffs, contracts=contracts,
        assignments=assignments, reports=reports, self_declarations=declarations, population=population,
        decisions=decisions, clawbacks=clawbacks, ledger=ledger, go_live=go_live, closed_years=closed,
    )
