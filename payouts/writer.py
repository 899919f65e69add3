"""Persist a computed run: lines in bulk, issues and invoice drafts as JSON on the run."""
import json

from models import PayoutLine, PayoutRun, db
from models.bulk import bulk_insert

from .inputs import RunResult

FIELDS = [PayoutLine.run, PayoutLine.municipality, PayoutLine.payee, PayoutLine.component, PayoutLine.period,
          PayoutLine.quantity, PayoutLine.rate, PayoutLine.amount, PayoutLine.status, PayoutLine.rule,
          PayoutLine.explanation, PayoutLine.report, PayoutLine.clawback]


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
             line.amount, line.status, line.rule, line.explanation, line.report_id, line.clawback_id)
            for line in result.lines]
    bulk_insert(PayoutLine, FIELDS, rows)
