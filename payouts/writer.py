"""Persist a computed run: lines in bulk, issues and invoice drafts as JSON on the run."""
import json

from models import PayoutLine, PayoutRun, db

from .inputs import RunResult

BATCH = 2000  # 13 columns × 2000 rows stays below SQLite's 32766 variables


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
    rows = [{
        "run": run.id, "municipality": line.municipality_id, "payee": line.payee_id, "component": line.component,
        "period": line.period, "quantity": line.quantity, "rate": line.rate, "amount": line.amount,
        "status": line.status, "rule": line.rule, "explanation": line.explanation, "report": line.report_id,
        "clawback": line.clawback_id,
    } for line in result.lines]
    for start in range(0, len(rows), BATCH):
        PayoutLine.insert_many(rows[start:start + BATCH]).execute()
