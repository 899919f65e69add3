"""Excel exports (issue 6): reopened with openpyxl — names, headers, values, types, formats, totals, safety."""
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import approve, ensure_go_live
from openpyxl import load_workbook

from models import ForeignPopulation, FormVersion, Municipality, PayoutRun, Report, SelfDeclaration
from services import exports, payout_runs
from services.exports import DETAIL_HEADERS, INVOICE_HEADERS, PAYOUT_HEADERS

DATA = Path(__file__).resolve().parent.parent / "data"
TODAY = date(2026, 11, 25)
HOSTILE = '=HYPERLINK("http://evil.example","klick")'


def _book(data, data_only=False):
    return load_workbook(io.BytesIO(data), data_only=data_only)


@pytest.fixture
def scenario(app, make_municipality, make_user):
    """Worked example (with a hostile name) plus a second payee; returns (run, admin, accountant)."""
    admin, accountant = make_user("admin"), make_user("accountant")
    towns = []
    for bfs, name, count in ((2601, HOSTILE, 1250), (2546, "Grenchen", 100)):
        muni = make_municipality(bfs_nr=bfs, name=name, organisation_settled_on=date(2017, 1, 1),
                                 creditor_number="+41-KRED", iban="CH9300762011623852957")
        make_user("officer", municipality=muni)
        ForeignPopulation.create(municipality=muni, reference_date=date(2022, 12, 31), count=count)
        SelfDeclaration.create(municipality=muni, year=2024, status="accepted",
                               form_version=FormVersion.valid_on("self_declaration", date(2024, 1, 1)))
        report = Report(municipality=muni, year=2023, half=2, status="accepted",
                        form_version=FormVersion.valid_on("report", date(2023, 7, 1)))
        report.values = {"first_info_interviews": 8, "first_info_interpreter": 3, "integration_interviews": 2,
                         "integration_interpreter": 1}
        report.save()
        towns.append(muni)
    payout_runs.add_clawback(admin, 2601, Decimal("12000.00"), "@SUMME(A1) Doppelzahlung", date(2024, 2, 1))
    ensure_go_live(date(2024, 3, 31))
    run = payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    return run, admin, accountant


def test_payout_list_sheets_headers_values_types_and_totals(scenario):
    run, _, accountant = scenario
    run = payout_runs.approve(accountant, run.id, run.version, today=date(2024, 3, 31))  # approved on the day
    data = exports.payout_list(run)
    book = _book(data)
    assert book.sheetnames == ["Auszahlungen", "Details", "Rechnungen"]
    sheet = book["Auszahlungen"]
    assert [c.value for c in sheet[1]] == PAYOUT_HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M3"
    rows = list(sheet.iter_rows(min_row=2, max_row=3, values_only=True))
    grenchen = rows[0]
    assert grenchen[:4] == (run.id, datetime(2024, 3, 31), 2546, "Grenchen")
    assert grenchen[4:6] == ("+41-KRED", "CH9300762011623852957")  # stays text
    assert grenchen[6:12] == (2000, 640, 700, 0, 0, 3340)
    hostile = rows[1]
    assert hostile[3] == HOSTILE and hostile[6:12] == (2000, 640, 8750, 0, -11390, 0)
    assert hostile[12] == f"start.integration 31.03.2024 {HOSTILE}"
    assert sheet.cell(2, 2).number_format == "dd.mm.yyyy" and sheet.cell(2, 7).number_format == "#,##0.00"
    assert sheet.cell(2, 4).data_type == "s" and sheet.cell(3, 4).data_type == "s"
    assert sheet.cell(4, 12).value == "=SUM(L2:L3)" and sheet.cell(4, 4).value == "Total"
    cached = _book(data, data_only=True)["Auszahlungen"]
    assert cached.cell(4, 12).value == 3340 and cached.cell(4, 11).value == -11390
    details = book["Details"]
    assert [c.value for c in details[1]] == DETAIL_HEADERS
    detail_rows = list(details.iter_rows(min_row=2, values_only=True))
    assert sum(Decimal(str(r[7])) for r in detail_rows) == Decimal("3340")
    assert ("Sockelbeitrag", "2024", 1250, 7, 8750, "Kreisschreiben §4.3.2") in [r[3:] for r in detail_rows]  # R10
    assert any(r[3] == "Fallpauschale Erstinformationsgespräche" and r[4] == "2. Halbjahr 2023" for r in detail_rows)
    invoices = book["Rechnungen"]
    assert [c.value for c in invoices[1]] == INVOICE_HEADERS
    number, bfs, name, amount, invoice_date, due, reason = next(invoices.iter_rows(min_row=2, values_only=True))
    assert (bfs, name, amount, invoice_date, due) == (2601, HOSTILE, 610, datetime(2024, 3, 31),
                                                      datetime(2024, 4, 30))
    assert reason == "@SUMME(A1) Doppelzahlung" and invoices.cell(2, 7).data_type == "s"
    assert book.properties.title == "Auszahlung start.integration per 31.03.2024" and book.properties.creator


def test_draft_export_is_marked_as_preview(scenario):
    run, _, _ = scenario
    book = _book(exports.payout_list(run))
    assert book.sheetnames == ["ENTWURF Auszahlungen", "ENTWURF Details", "ENTWURF Rechnungen"]
    assert book.properties.title.startswith("ENTWURF")
    assert next(book["ENTWURF Rechnungen"].iter_rows(min_row=2, values_only=True))[0] == "ENTWURF-1"


def test_no_cell_in_any_export_is_a_formula_except_the_totals(scenario):
    run, _, accountant = scenario
    for data in (exports.payout_list(approve(accountant, run)), exports.contributions(2024)):
        for sheet in _book(data).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        assert cell.value.startswith("=SUM(") and "Total" in [c.value for c in sheet[cell.row]], (
                            sheet.title, cell.coordinate)


def test_r25_anhang_1_for_2026_from_the_real_counts(app, runner):
    for kind, name in (("municipalities", "municipalities.csv"), ("population", "population.csv")):
        assert runner.invoke(args=["import", kind, str(DATA / name)]).exit_code == 0
    book = _book(exports.contributions(2026))
    assert book.sheetnames == ["Beiträge 2026", "Tarife 2026"]
    sheet = book["Beiträge 2026"]
    assert [c.value for c in sheet[1]] == ["BFS-Nr", "Gemeinde", "Bezirk", "Ausländerbestand 31.12.2024",
                                           "Sockelbeitrag 2026"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))[:-1]
    assert len(rows) == 104  # Halten and Oekingen merged into Kriegstetten (R26)
    by_bfs = {row[0]: row for row in rows}
    assert 2520 not in by_bfs and 2529 not in by_bfs
    assert by_bfs[2525][3] == 198 + 76 + 60 and by_bfs[2525][4] == (198 + 76 + 60) * 7
    assert by_bfs[2601][1:3] == ("Solothurn", "Solothurn")
    total_row = list(sheet.iter_rows(values_only=True))[-1]
    assert total_row[1] == "Total" and total_row[3] == "=SUM(D2:D105)"
    cached = list(_book(exports.contributions(2026), data_only=True)["Beiträge 2026"].iter_rows(values_only=True))[-1]
    assert cached[3] == 74173  # the canton's foreign residents of 31.12.2024 (data/SOURCES.md)
    tariffs = list(book["Tarife 2026"].iter_rows(min_row=2, values_only=True))
    assert len(tariffs) == 5 and {t[1] for t in tariffs} == {200, 160, 7}
    assert Municipality.valid_in_year(2026).count() == 104


def test_downloads_by_role(scenario, client, auth):
    run, _, accountant = scenario
    auth.login(user=accountant)
    response = client.get(f"/runs/{run.id}/auszahlungsliste.xlsx")
    assert response.status_code == 200
    assert "ENTWURF_Auszahlung_2024-03-31.xlsx" in response.headers["Content-Disposition"]
    assert client.get("/contributions/2024.xlsx").status_code == 200
    auth.logout()
    auth.login("auditor")
    assert client.get(f"/runs/{run.id}/auszahlungsliste.xlsx").status_code == 200


def test_officer_gets_anhang_1_rows_of_own_municipalities_only(scenario, client, auth):
    from models import OfficerAssignment, User

    officer = User.get_by_id(OfficerAssignment.get(OfficerAssignment.municipality ==
                                                   Municipality.get(Municipality.bfs_nr == 2546)).user_id)
    auth.login(user=officer)
    run = PayoutRun.get()
    assert client.get(f"/runs/{run.id}/auszahlungsliste.xlsx").status_code == 403
    response = client.get("/contributions/2024.xlsx")
    rows = list(_book(response.data)["Beiträge 2024"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows[:-1]] == [2546]


def test_export_cli_writes_files(scenario, runner, tmp_path):
    run, _, _ = scenario
    result = runner.invoke(args=["export", "payouts", str(run.id), "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code == 0 and "ENTWURF" in result.output
    assert _book((tmp_path / "a.xlsx").read_bytes()).sheetnames[0] == "ENTWURF Auszahlungen"
    result = runner.invoke(args=["export", "contributions", "2024", "-o", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "b.xlsx").stat().st_size > 0
