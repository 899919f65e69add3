"""Issue 7: a SQLite backup restores to identical exports; PostgreSQL is pointed to pg_dump."""
import io
from datetime import date
from decimal import Decimal

import pytest
from conftest import PG_URL, approve, ensure_go_live
from openpyxl import load_workbook

from models import FormVersion, Municipality, PayoutRun, Report
from services import exports, payout_runs


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


@pytest.mark.skipif(bool(PG_URL), reason="SQLite-Backup; PostgreSQL wird mit pg_dump gesichert (README)")
def test_backup_and_restore_give_identical_exports(app, runner, make_municipality, make_user, tmp_path):
    muni = make_municipality(bfs_nr=2601, organisation_settled_on=date(2017, 1, 1))
    make_user("officer", municipality=muni)
    report = Report(municipality=muni, year=2025, half=2, status="accepted",
                    form_version=FormVersion.valid_on("report", date(2025, 7, 1)))
    report.values = {"first_info_interviews": 5}
    report.save()
    admin, accountant = make_user("admin"), make_user("accountant")
    payout_runs.add_clawback(admin, 2601, Decimal("300.00"), "Test", date(2026, 1, 1))
    ensure_go_live(date(2026, 3, 31))
    run = approve(accountant, payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 11, 25)))
    before = _cells(exports.payout_list(run))
    result = runner.invoke(args=["backup", str(tmp_path / "sicherung.db")])
    assert result.exit_code == 0, result.output
    Municipality.update(name="Geändert").execute()
    result = runner.invoke(args=["restore", str(tmp_path / "sicherung.db"), "--yes"])
    assert result.exit_code == 0, result.output
    assert _cells(exports.payout_list(PayoutRun.get_by_id(run.id))) == before
    assert Municipality.get().name != "Geändert"
    assert runner.invoke(args=["backup", str(tmp_path / "sicherung.db")]).exit_code == 1  # never overwrites


def test_restore_refuses_a_foreign_file(app, runner, tmp_path):
    bogus = tmp_path / "x.db"
    bogus.write_bytes(b"kein sqlite")
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1 and ("keine SQLite-Sicherung" in result.output or "pg_dump" in result.output)
