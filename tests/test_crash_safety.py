"""Issue 7: SIGKILL at random moments, 20 times during run approval and 20 times during a large import; the
database stays consistent: no half-approved run, no partial import, audit entries exactly for committed changes."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from conftest import approve

from bench.synthetic import build
from models import AuditEntry, ForeignPopulation, Invoice, Municipality, PayoutRun, db
from services import payout_runs

CHILD = Path(__file__).resolve().parent / "crash_child.py"
ROUNDS = 20
PAYOUT_DATES = [date(y, m, 31 if m == 3 else 30) for y in range(2017, 2028) for m in (3, 9)][1:ROUNDS + 1]


def _kill_during(url, action, argument, delay):
    with subprocess.Popen([sys.executable, str(CHILD), url, action, str(argument)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout.readline().strip() == "READY"
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()


def _entries(action, model):
    return AuditEntry.select().where((AuditEntry.action == action) & (AuditEntry.model == model))


def test_sigkill_during_approval_and_import_leaves_a_consistent_database(app, database_url, tmp_path):
    users = build(300, half_years=2, go_live=PAYOUT_DATES[0])
    rng = random.Random(int(os.environ.get("CRASH_SEED", "2026")))
    outcomes = []
    assert len(PAYOUT_DATES) == ROUNDS
    for payout_date in PAYOUT_DATES:
        run = payout_runs.prepare(users["admin"], payout_date, date(2026, 11, 25))
        expected_invoices = len(run.issues["invoices"])
        db.close()
        _kill_during(database_url, "approve", run.id, rng.uniform(0.0, 0.08))
        run = PayoutRun.get_by_id(run.id)
        approvals = _entries("approve", "PayoutRun").where(AuditEntry.record_id == str(run.id)).count()
        invoices = Invoice.select().where(Invoice.run == run.id).count()
        outcomes.append(run.status)
        if run.status == "approved":
            assert (approvals, invoices) == (1, expected_invoices)
        else:
            assert (run.status, approvals, invoices) == ("draft", 0, 0)
            approve(users["accountant"], run)  # the next run builds on this one
    bfs = [m.bfs_nr for m in Municipality.select(Municipality.bfs_nr)]
    for round_ in range(ROUNDS):
        year = 2030 + round_
        path = tmp_path / f"bestand{year}.csv"
        path.write_text("bfs_nr,reference_date,foreign_residents\n"
                        + "".join(f"{b},{year}-12-31,{b % 500}\n" for b in bfs), encoding="utf-8")
        db.close()
        _kill_during(database_url, "import", path, rng.uniform(0.0, 0.4))
        rows = ForeignPopulation.select().where(ForeignPopulation.reference_date == date(year, 12, 31)).count()
        audited = sum(1 for entry in _entries("create", "ForeignPopulation").where(AuditEntry.actor == "cli:crash")
                      if json.loads(entry.after)["reference_date"] == f"{year}-12-31")
        assert rows in (0, len(bfs)) and audited == rows, (year, rows, audited)
        outcomes.append("imported" if rows else "nothing")
    assert len(outcomes) == 2 * ROUNDS
    assert {"draft", "nothing"} & set(outcomes), outcomes  # some kills did hit before the commit
