"""Issue 17: controlling dashboard, a municipality's series and yearly feedback (§5.3), tariff simulator (§4.3.3).

The multi-year scenario pays four runs (2019–2020) for two municipalities in two districts; the dashboard's
figures are checked against the payment ledger (LedgerEntry, R7/R15) and against hand-computed amounts.
"""
import io
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from conftest import approve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_letter import pdf_text

from core.calendar import HalfYear
from models import AuditEntry, ForeignPopulation, FormVersion, LedgerEntry, Municipality, Report, SelfDeclaration
from services import controlling, controlling_documents, controlling_exports, payout_runs, simulation
from services.errors import DomainError

TODAY = date(2026, 11, 25)
D = Decimal


def _report(muni, year, half, late=False, **counts):
    report = Report(municipality=muni, year=year, half=half, status="accepted", late=late,
                    form_version=FormVersion.valid_on("report", date(year, 1 if half == 1 else 7, 1)))
    report.values = counts
    report.save()
    return report


@pytest.fixture
def scenario(app, make_municipality, make_user, go_live):
    """A (Lebern) and B (Olten), reports 2018-H2 … 2019-H2 (B's 2019-H2 missing), runs 31.03.2019 … 31.03.2020."""
    go_live(date(2018, 3, 31))
    a = make_municipality(bfs_nr=2601, name="Aarfeld", district="Lebern", organisation_settled_on=date(2017, 1, 1))
    b = make_municipality(bfs_nr=2546, name="Bergli", district="Olten", organisation_settled_on=date(2017, 1, 1))
    officers = {a.id: make_user("officer", municipality=a), b.id: make_user("officer", municipality=b)}
    for muni, counts in ((a, (100, 110, 120)), (b, (200, 220, 240))):
        for year, count in zip((2016, 2017, 2018), counts, strict=True):
            ForeignPopulation.create(municipality=muni, reference_date=date(year, 12, 31), count=count)
        for year in (2018, 2019, 2020):
            SelfDeclaration.create(municipality=muni, year=year, status="accepted",
                                   form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))
    _report(a, 2018, 2, late=True, first_info_interviews=10, first_info_interpreter=2)
    _report(a, 2019, 1, first_info_interviews=5)
    _report(a, 2019, 2, first_info_interviews=8, first_info_interpreter=1)
    _report(b, 2018, 2, first_info_interviews=20)
    _report(b, 2019, 1, first_info_interviews=4, first_info_interpreter=4)
    admin, accountant = make_user("admin"), make_user("accountant")
    payout_runs.add_clawback(admin, 2601, D("50.00"), "Doppelt gezählt", date(2019, 1, 15))
    payout_runs.set_budget(admin, 2019, D("10000.00"))
    payout_runs.set_budget(admin, 2020, D("10000.00"))
    for payout_date in (date(2019, 3, 31), date(2019, 9, 30), date(2020, 3, 31)):
        approve(accountant, payout_runs.prepare(admin, payout_date, TODAY))
    return {"a": a, "b": b, "admin": admin, "officers": officers}


def _ledger(by_district: bool):
    sums = defaultdict(lambda: D("0.00"))
    for entry in LedgerEntry.select():
        muni = Municipality.get_by_id(entry.municipality_id)
        sums[(muni.district if by_district else muni.id, entry.claim_year, entry.component)] += entry.amount
    return sums


def test_dashboard_payouts_equal_the_payment_ledger_per_district_year_and_component(scenario):
    """R7, R15: every amount on the dashboard is a sum of ledger entries; hand-computed per district."""
    board = controlling.dashboard("2018", "2020", "", TODAY)
    assert board.ok and [u.label for u in board.units] == ["Lebern", "Olten"]
    ledger = _ledger(by_district=True)
    assert ledger  # the runs credited the ledger
    for unit in board.units:
        for year in board.years:
            for component in controlling.COMPONENTS:
                assert unit.years[year].gross[component] == ledger[(unit.key, year, component)], (unit.key, year)
    lebern, olten = board.units
    # Aarfeld 2018: 10 × 200 + 2 × 160 (R8, R9) + base 100 × 7 (R10, 31.12.2016) = 3’020
    assert lebern.years[2018].gross_total == D("3020.00")
    assert lebern.years[2019].gross_total == D("3530.00")  # 5 × 200 + 8 × 200 + 1 × 160 + 110 × 7
    assert olten.years[2018].gross_total == D("5400.00") and olten.years[2019].gross_total == D("2980.00")
    assert board.total.years[2020].gross_total == D("2520.00")  # base 2020: 120 × 7 + 240 × 7
    # net: Aarfeld's clawback of 50 offset in the run of 31.03.2019 (R16)
    assert lebern.years[2019].offsets == D("50.00") and lebern.years[2019].net == D("3480.00")
    assert board.total.years[2019].gross_total == sum(
        (e.amount for e in LedgerEntry.select().where(LedgerEntry.claim_year == 2019)), D("0.00"))
    # cost per interview: fees 2018 / interviews 2018 = (2’320 + 4’000) / 30
    assert board.total.years[2018].cost_per_interview == D("210.67")
    assert lebern.years[2019].residents == 110 and lebern.years[2019].cost_per_resident == D("32.09")


def test_dashboard_counts_interviews_and_punctuality_per_half_year(scenario):
    """R2, R14: on time, late, missing (deadline passed, nothing filed) per half-year."""
    board = controlling.dashboard("2018", "2019", None, TODAY)
    lebern, olten = board.units
    h2018, h2019 = HalfYear(2018, 2), HalfYear(2019, 2)
    assert lebern.halves[h2018].first_info == 10 and lebern.halves[h2018].interpreter == 2
    assert (lebern.halves[h2018].on_time, lebern.halves[h2018].late) == (0, 1)
    assert olten.halves[h2019].missing == 1 and olten.halves[HalfYear(2019, 1)].on_time == 1
    assert board.total.halves[HalfYear(2018, 1)].missing == 2  # neither reported H1 2018
    assert board.total.years[2019].interviews == 5 + 8 + 4
    assert [(b.year, b.credit, b.used) for b in board.budgets] == [(2018, None, D("8420.00")),
                                                                  (2019, D("10000.00"), D("6510.00"))]
    assert board.budgets[1].share == D("65.1")


def test_district_filter_lists_its_municipalities_and_totals(scenario):
    board = controlling.dashboard("2019", "2019", "Lebern", TODAY)
    assert board.ok and [u.key for u in board.units] == [scenario["a"].id]
    assert board.total.label == "Bezirk Lebern" and board.total.years[2019].gross_total == D("3530.00")


@pytest.mark.parametrize(("args", "field", "message"), [
    (("1990", "", ""), "von", "ausserhalb der Daten (vorhanden: 2018–2020)"),
    (("", "2099", ""), "bis", "ausserhalb der Daten"),
    (("20x9", "", ""), "von", "vier Ziffern"),
    (("2020", "2019", ""), "von", "liegt nach"),
    (("", "", "Atlantis"), "bezirk", "Den Bezirk «Atlantis» gibt es nicht"),
])
def test_bad_filters_give_a_german_message_and_no_figures(scenario, args, field, message):
    board = controlling.dashboard(*args, TODAY)
    assert message in board.errors[field] and board.total is None and not board.units


def test_dashboard_page_charts_and_xlsx_for_admin_and_auditor(scenario, client, auth):
    """Issue 17: charts are SVG images without script (CSP); a text table beside each; typed xlsx cells."""
    auth.login("auditor")
    page = client.get("/controlling?von=2018&bis=2020")
    html = page.get_data(as_text=True)
    # no inline script (the CSP forbids it); the site's one external file may load
    assert page.status_code == 200 and not re.search(r"<script(?![^>]*\bsrc=)", html)
    for chart in controlling_documents.CHARTS:
        assert f"/controlling/diagramm/{chart}.svg?" in html
        svg = client.get(f"/controlling/diagramm/{chart}.svg?von=2018&bis=2020")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<script" not in svg.data and b"<svg" in svg.data
        assert "script-src" not in svg.headers["Content-Security-Policy"]  # default-src 'none': no script at all
    assert 'id="table-units-halves"' in html and 'id="table-halves"' in html and 'id="table-years"' in html
    assert "8’420.00" in html  # the canton 2018 per the ledger, de-CH
    bad = client.get("/controlling?von=1990")
    assert bad.status_code == 400 and "ausserhalb der Daten" in bad.get_data(as_text=True)
    assert client.get("/controlling/diagramm/unbekannt.svg").status_code == 404
    data = client.get("/controlling.xlsx?von=2018&bis=2020")
    book = load_workbook(io.BytesIO(data.data))
    years = [row for row in book["Jahre"].iter_rows(values_only=True)]
    header = years[0]
    lebern_2018 = next(r for r in years if r[0] == "Lebern" and r[1] == 2018)
    assert lebern_2018[header.index("Beiträge brutto")] == 3020 and isinstance(lebern_2018[1], int)
    assert book["Filter"]["B2"].value == 2018


def test_officers_see_only_their_own_municipality_series(scenario, client, auth):
    """R12: an officer reads the own series and feedback; another municipality's is a 404; no dashboard."""
    a, b = scenario["a"], scenario["b"]
    auth.login(user=scenario["officers"][a.id])
    assert client.get("/controlling").status_code == 403
    assert client.get("/controlling/simulation").status_code == 403
    own = client.get(f"/gemeinden/{a.id}/controlling")
    assert own.status_code == 200 and "Aarfeld" in own.get_data(as_text=True)
    assert "Bergli" not in own.get_data(as_text=True)
    for url in (f"/gemeinden/{b.id}/controlling", f"/gemeinden/{b.id}/controlling.xlsx",
                f"/gemeinden/{b.id}/controlling/verlauf.svg", f"/gemeinden/{b.id}/rueckmeldung/2019.pdf"):
        response = client.get(url)
        assert response.status_code == 404 and b"Bergli" not in response.data, url
    svg = client.get(f"/gemeinden/{a.id}/controlling/komponenten.svg")
    assert svg.status_code == 200 and b"<script" not in svg.data
    book = load_workbook(io.BytesIO(client.get(f"/gemeinden/{a.id}/controlling.xlsx").data))
    labels = {row[0] for row in book["Jahre"].iter_rows(min_row=2, values_only=True)}
    assert labels == {"2601 Aarfeld"}


def test_yearly_feedback_pdf_shows_the_municipality_beside_district_and_canton(scenario, client, auth):
    """§5.3: one page per municipality and year; figures from the ledger and the accepted reports."""
    a = scenario["a"]
    auth.login(user=scenario["officers"][a.id])
    response = client.get(f"/gemeinden/{a.id}/rueckmeldung/2019.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in ("Rückmeldung Controlling 2019", "Einwohnergemeinde Aarfeld", "Bezirk Lebern", "Kanton",
                     "3’530.00", "6’510.00", "Seite 1/1"):
        assert expected in text, expected
    outside = client.get(f"/gemeinden/{a.id}/rueckmeldung/2030.pdf")
    assert outside.status_code == 302
    assert "Für 2030 liegen keine Daten vor" in client.get(outside.location).get_data(as_text=True)


RATES = {"fee_first_info": D("220"), "fee_interpreter_first_info": D("150"), "base_per_foreign_resident": D("8"),
         "fee_integration": D("200"), "fee_interpreter_integration": D("160")}


def test_simulator_totals_by_hand(scenario):
    """§4.3.3: volumes of 2019 priced for 2020 at other rates and at the rates in force (R6, R8–R10)."""
    audits = AuditEntry.select().count()
    result = simulation.simulate(2020, RATES, "year", 2019)
    by_bfs = {row.bfs_nr: row for row in result.rows}
    # Aarfeld: 13 × 220 + 1 × 150 + 120 × 8 = 3’970; now 13 × 200 + 1 × 160 + 120 × 7 = 3’600
    assert (by_bfs[2601].simulated, by_bfs[2601].current) == (D("3970.00"), D("3600.00"))
    # Bergli: 4 × 220 + 4 × 150 + 240 × 8 = 3’400; now 4 × 200 + 4 × 160 + 240 × 7 = 3’120
    assert (by_bfs[2546].simulated, by_bfs[2546].current) == (D("3400.00"), D("3120.00"))
    assert (result.simulated_total, result.current_total, result.difference) == (D("7370"), D("6720"), D("650"))
    assert result.credit == D("10000.00") and result.against_budget(result.simulated_total) == D("2630.00")
    assert all(isinstance(v, Decimal) for v in (result.simulated_total, result.current_total))
    assert AuditEntry.select().count() == audits  # nothing written
    last_two = simulation.simulate(2020, RATES, "last_two")
    assert [p.code for p in last_two.basis_periods] == ["2019-H1", "2019-H2"]
    same = simulation.simulate(2020, {k: v or D("0") for k, v in simulation.current_rates(2020).items()}, "year", 2019)
    assert same.difference == 0  # at the rates in force the simulation is the current cost


@pytest.mark.parametrize(("change", "message"), [
    ({"fee_first_info": D("-1")}, "nicht negativ"),
    ({"fee_integration": D("10000.01")}, "mehr als CHF 10’000"),
])
def test_simulator_refuses_absurd_rates(scenario, change, message):
    with pytest.raises(DomainError, match=message):
        simulation.simulate(2020, {**RATES, **change}, "year", 2019)


def test_simulator_refuses_a_basis_year_without_data(scenario):
    with pytest.raises(DomainError, match="Für 2015 liegen keine angenommenen Reportings vor"):
        simulation.simulate(2020, RATES, "year", 2015)


def test_simulation_page_messages_and_xlsx_echo_the_inputs(scenario, client, auth):
    auth.login("admin")
    first = client.get("/controlling/simulation")
    assert first.status_code == 200 and 'name="fee_first_info"' in first.get_data(as_text=True)
    query = ("jahr=2020&basis=year&basisjahr=2019&fee_first_info=220&fee_interpreter_first_info=150"
             "&base_per_foreign_resident=8&fee_integration=200&fee_interpreter_integration=160")
    page = client.get(f"/controlling/simulation?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "7’370.00" in html and "6’720.00" in html and "650.00" in html
    bad = client.get("/controlling/simulation?" + query.replace("fee_first_info=220", "fee_first_info=-5")
                     .replace("fee_integration=200", "fee_integration=12’000"))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and text.count("Bitte einen Ansatz zwischen CHF 0 und CHF 10’000 angeben.") == 2
    nodata = client.get("/controlling/simulation?" + query.replace("basisjahr=2019", "basisjahr=2021"))
    assert nodata.status_code == 400 and "Für 2021 liegen keine angenommenen Reportings vor" in \
        nodata.get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get(f"/controlling/simulation.xlsx?{query}").data), data_only=True)
    inputs = {row[0]: row[1:] for row in book["Eingaben"].iter_rows(min_row=2, values_only=True)}
    assert inputs["Zieljahr"][0] == 2020 and inputs["Fallpauschale Erstinformationsgespräch"] == (220, 200)
    rows = list(book["Simulation"].iter_rows(min_row=2, values_only=True))
    assert rows[-1][1] == "Total" and rows[-1][9] == 7370 and rows[0][0] == 2546


def test_exports_are_typed_and_text_stays_text(scenario):
    """Like every export: numbers as numbers, a formula-like name stays text."""
    Municipality.update(name="=HYPERLINK(\"x\")").where(Municipality.bfs_nr == 2601).execute()
    board = controlling.dashboard("2019", "2019", "Lebern", TODAY)
    book = load_workbook(io.BytesIO(controlling_exports.dashboard_xlsx(board, TODAY)))
    cell = book["Jahre"]["A2"]
    assert cell.value == '2601 =HYPERLINK("x")' and cell.data_type == "s"
    assert book["Jahre"]["C2"].data_type == "n"


RATE = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rates=st.fixed_dictionaries({kind: RATE for kind in RATES}))
def test_simulated_total_is_the_volumes_times_the_rates_exactly(scenario, rates):
    """§4.3.3, R8–R10: basis 2019 has 17 first-information interviews, 5 interpreter assignments and 360
    residents (31.12.2018); any rates in 0…10’000 give exactly that sum in Decimal, nothing rounded away."""
    result = simulation.simulate(2020, rates, "year", 2019)
    expected = (17 * rates["fee_first_info"] + 5 * rates["fee_interpreter_first_info"]
                + 360 * rates["base_per_foreign_resident"])
    assert result.simulated_total == expected and isinstance(result.simulated_total, Decimal)
    assert result.current_total == D("6720.00")
