"""Database rows → plain inputs for one run, in a constant number of queries (issue 5, issue 8)."""
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from models import (
    Clawback,
    Contract,
    ContractMember,
    Decision,
    ForeignPopulation,
    Invoice,
    Municipality,
    OfficerAssignment,
    PayoutLine,
    PayoutRun,
    Report,
    SelfDeclaration,
    Tariff,
)

from . import inputs
from .calendar import HalfYear

SETTLED_RUNS = ("approved", "booked")


def load_inputs(payout_date: date, exclude_run_id: int | None = None) -> inputs.RunInputs:
    """Everything a run needs; `paid` comes only from approved and booked runs (R7, R14, R15)."""
    municipalities = [
        inputs.Municipality(m.id, m.bfs_nr, m.name, m.valid_from, m.valid_to, m.successor_id, m.organisation_settled_on)
        for m in Municipality.select().order_by(Municipality.bfs_nr)
    ]
    tariffs = [inputs.Tariff(t.id, t.kind, t.amount, t.valid_from, t.valid_to, t.reference) for t in Tariff.select()]
    members = defaultdict(list)
    for m in ContractMember.select():
        members[m.contract_id].append(inputs.Membership(m.municipality_id, m.valid_from, m.valid_to))
    contracts = [inputs.Contract(c.id, c.reference, c.lead_id, c.payee, c.valid_from, c.valid_to,
                                 tuple(members[c.id])) for c in Contract.select()]
    assignments = [inputs.Assignment(a.municipality_id, a.valid_from, a.valid_to)
                   for a in OfficerAssignment.select(OfficerAssignment.municipality, OfficerAssignment.valid_from,
                                                     OfficerAssignment.valid_to)]
    first = (PayoutRun.select(PayoutRun.payout_date).where(PayoutRun.status.in_(SETTLED_RUNS))
             .order_by(PayoutRun.payout_date).first())
    first_year = min(first.payout_date, payout_date).year - 1 if first else payout_date.year - 1
    # Only the half-years a run may pay (R4, R14): from the first approved run on.
    reports = [inputs.Report(id_, municipality_id, HalfYear(year, half), status, late, json.loads(values or "{}"))
               for id_, municipality_id, year, half, status, late, values in Report.select(
                   Report.id, Report.municipality, Report.year, Report.half, Report.status, Report.late,
                   Report.values_json).where(Report.year.between(first_year, payout_date.year)).tuples()]
    declarations = [inputs.SelfDeclaration(*row) for row in SelfDeclaration.select(
        SelfDeclaration.municipality, SelfDeclaration.year, SelfDeclaration.status).where(
        SelfDeclaration.year == payout_date.year).tuples()]
    population = [inputs.Population(*row) for row in ForeignPopulation.select(
        ForeignPopulation.municipality, ForeignPopulation.reference_date, ForeignPopulation.count).where(
        ForeignPopulation.reference_date.between(date(payout_date.year - 3, 12, 31),
                                                 date(payout_date.year - 2, 12, 31))).tuples()]
    decisions = [inputs.Decision(d.kind, d.municipality_id, d.report_id, d.reason) for d in Decision.select()]
    settled_runs = PayoutRun.select(PayoutRun.id).where(PayoutRun.status.in_(SETTLED_RUNS))
    offsets = defaultdict(lambda: Decimal("0.00"))
    for line in PayoutLine.select(PayoutLine.clawback, PayoutLine.amount).where(
        PayoutLine.clawback.is_null(False) & PayoutLine.run.in_(settled_runs)
    ):
        offsets[line.clawback_id] -= line.amount
    invoiced: dict[int, Decimal] = {}
    for invoice in Invoice.select(Invoice.clawback, Invoice.amount):
        invoiced[invoice.clawback_id] = invoiced.get(invoice.clawback_id, Decimal("0.00")) + invoice.amount
    clawbacks = [inputs.Clawback(c.id, c.municipality_id, c.amount, c.reason, c.decided_on,
                                 offsets[c.id] + invoiced.get(c.id, Decimal("0.00")), c.id in invoiced)
                 for c in Clawback.select()]
    paid = [inputs.PaidLine(municipality_id, component, period, report_id, quantity, rate, amount, day)
            for municipality_id, component, period, report_id, quantity, rate, amount, day in PayoutLine.select(
                PayoutLine.municipality, PayoutLine.component, PayoutLine.period, PayoutLine.report,
                PayoutLine.quantity, PayoutLine.rate, PayoutLine.amount, PayoutRun.payout_date).join(PayoutRun)
            .where((PayoutRun.status.in_(SETTLED_RUNS)) & (PayoutLine.status == "payable")
                   & (PayoutLine.report.is_null(False) | (PayoutLine.component == "base_contribution"))).tuples()]
    return inputs.RunInputs(
        payout_date=payout_date, municipalities=municipalities, tariffs=tariffs, contracts=contracts,
        assignments=assignments, reports=reports, self_declarations=declarations, population=population,
        decisions=decisions, clawbacks=clawbacks, paid=paid, first_run_date=first.payout_date if first else None,
    )
