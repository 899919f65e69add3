"""Persist a computed run: lines in bulk, issues and invoice drafts as JSON on the run."""
import json

from models import PayoutLine, PayoutRun, RunPayee, db
from models.bulk import bulk_insert

from .inputs import RunResult

FIELDS = [PayoutLine.run, PayoutLine.municipality, PayoutLine.payee, PayoutLine.component, PayoutLine.period,
          PayoutLine.quantity, PayoutLine.rate, PayoutLine.amount, PayoutLine.status, PayoutLine.rule,
          PayoutLine.explanation, PayoutLine.report, PayoutLine.clawback, PayoutLine.ledger_quantity,
          PayoutLine.ledger_amount, PayoutLine.revision]


PAYEE_FIELDS = [RunPayee.run, RunPayee.payee, RunPayee.name, RunPayee.creditor_number, RunPayee.iban, RunPayee.amount]


def issues_payload(result: RunResult) -> str:
    def issue(i):
        return {"kind": i.kind, "municipality_id": i.municipality_id, "message": i.message, "rule": i.rule,
                "report_id": i.report_id}

    return json.dumps({
        "blockers": [issue(i) for i in result.blockers],
        "withheld": [issue(i) for i in result.withheld],
        "invoices": [{"municipality_id": d.municipality_id, "clawback_id": d.clawback_id, "amount": str(d.amount),
                      "reason": d.reason} for d in result.invoices],
    }, ensure_ascii=False, sort_keys=True)


def replace_lines(run: PayoutRun, result: RunResult) -> None:
    """Call inside the caller's transaction; a draft's old lines are replaced as a whole."""
    assert db.in_transaction(), "lines are written in the caller's transaction"
    PayoutLine.delete().where(PayoutLine.run == run.id).execute()
    rows = [(run.id, line.municipality_id, line.payee_id, line.component, line.period, line.quantity, line.rate,
             line.amount, line.status, line.rule, line.explanation, line.report_id, line.clawback_id,
             line.ledger_quantity, line.ledger_amount, line.revision)
            for line in result.lines]
    bulk_insert(PayoutLine, FIELDS, rows)


def replace_payees(run: PayoutRun, result: RunResult, municipalities: dict) -> None:
    """The run's payees with the bank data it pays to, shown before approval and frozen with the run (issue 13)."""
    assert db.in_transaction(), "payees are written in the caller's transaction"
    RunPayee.delete().where(RunPayee.run == run.id).execute()
    rows = []
    for payee_id, amount in sorted(result.net_by_payee().items()):
        payee = municipalities[payee_id]
        rows.append((run.id, payee_id, payee.name, payee.creditor_number, payee.iban, amount))
    bulk_insert(RunPayee, PAYEE_FIELDS, rows)


def ledger_rows(run: PayoutRun) -> list[dict]:
    """What the approved run credits to the ledger: every line that carries a ledger quantity (R15)."""
    rows = []
    for line in PayoutLine.select().where((PayoutLine.run == run.id) & PayoutLine.ledger_quantity.is_null(False)):
        period, _, component = line.period.partition(":")
        component = component or line.component
        rows.append({"run": run.id, "line": line.id, "municipality": line.municipality_id, "component": component,
                     "claim": period, "claim_year": int(period[:4]), "report": line.report_id,
                     "revision": line.revision, "quantity": line.ledger_quantity, "rate": line.rate or 0,
                     "amount": line.ledger_amount})
    return rows
