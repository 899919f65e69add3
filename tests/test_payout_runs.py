"""Payout runs on the database: CLI scenario of the README, life cycle, four eyes, pages, multi-year scenario."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import approve, ensure_go_live, run_concurrently

from models import (
    AuditEntry,
    Clawback,
    Decision,
    ForeignPopulation,
    FormVersion,
    Invoice,
    OfficerAssignment,
    PayoutLine,
    PayoutRun,
    Report,
    SelfDeclaration,
    Tariff,
    User,
)
from services import payout_runs
from services.errors import DomainError

DATA = Path(__file__).resolve().parent.parent / "data"
TODAY = date(2026, 11, 25)


def _cli(runner, *args, input=None):
    result = runner.invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_readme_cli_scenario_gives_the_stated_amounts(app, runner):
    for kind, path in (("municipalities", "municipalities.csv"), ("population", "population.csv"),
                       ("municipalities", "examples/organisation.csv"), ("officers", "examples/officers.csv"),
                       ("reports", "examples/reports.csv"), ("self-declarations", "examples/self_declarations.csv")):
        _cli(runner, "import", kind, str(DATA / path))
    _cli(runner, "users", "create", "admin@so.ch", "--role", "admin", input="Admin-Passwort-Lang-1\n")
    _cli(runner, "users", "create", "konto@so.ch", "--role", "accountant", input="Konto-Passwort-Lang-2\n")
    _cli(runner, "settings", "go-live", "2026-03-31", "--as", "admin@so.ch")
    _cli(runner, "clawbacks", "add", "2581", "4000", "--reason", "Doppelt abgerechnet", "--as", "admin@so.ch",
         "--decided-on", "2026-02-15")
    output = _cli(runner, "payouts", "prepare", "2026-03-31", "--as", "admin@so.ch")
    assert "Total CHF 128’563.00, 0 Blocker" in output
    run = PayoutRun.get()
    refused = runner.invoke(args=["payouts", "approve", str(run.id), "--version", "1", "--as", "admin@so.ch"])
    assert refused.exit_code == 1 and "nicht erlaubt" in refused.output
    assert "freigegeben" in _cli(runner, "payouts", "approve", str(run.id), "--version", "1", "--as", "konto@so.ch")
    shown = _cli(runner, "payouts", "show", str(run.id))
    assert "Total auszuzahlen: CHF 128’563.00" in shown and "-4’000.00" in shown
    kriegstetten = PayoutLine.get((PayoutLine.component == "base_contribution") & (PayoutLine.period == "2026")
                                  & (PayoutLine.quantity == 334))
    assert kriegstetten.amount == Decimal("2338.00")  # R26: 198 + 76 + 60 of 31.12.2024
    again = runner.invoke(args=["payouts", "prepare", "2026-03-31", "--as", "admin@so.ch"])
    assert again.exit_code == 1 and "bereits freigegeben" in again.output


@pytest.mark.parametrize("day, message", [("2026-04-30", "kein Auszahlungstermin"),
                                          ("2027-09-30", "nach dem nächsten Auszahlungstermin")])
def test_r4_prepare_refuses_other_dates(app, make_user, day, message):
    with pytest.raises(DomainError, match=message):
        payout_runs.prepare(make_user("admin"), date.fromisoformat(day), TODAY)


def test_clawback_cli_refuses_zero_negative_and_no_reason(app, runner, make_user, make_municipality):
    make_user("admin", email="a@so.ch")
    make_municipality(bfs_nr=2601)
    for amount, reason, message in (("0", "x", "grösser als 0"), ("-5", "x", "grösser als 0"),
                                    ("10", " ", "Begründung")):
        result = runner.invoke(args=["clawbacks", "add", "--reason", reason, "--as", "a@so.ch", "--", "2601", amount])
        assert result.exit_code == 1 and message in result.output
    assert Clawback.select().count() == 0


def _town(make_municipality, make_user, bfs=2601, count=1250, go_live=date(2024, 3, 31)):
    ensure_go_live(go_live)
    muni = make_municipality(bfs_nr=bfs, name=f"Ort {bfs}", organisation_settled_on=date(2017, 1, 1))
    make_user("officer", municipality=muni, valid_from=date(2017, 1, 1))
    for year in range(2016, 2027):
        ForeignPopulation.create(municipality=muni, reference_date=date(year, 12, 31), count=count)
    for year in range(2018, 2027):
        SelfDeclaration.create(municipality=muni, year=year, status="accepted",
                               form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))
    return muni


def _report(muni, year, half, fi=0, fi_int=0, ig=0, ig_int=0, status="accepted", late=False):
    report = Report(municipality=muni, year=year, half=half, status=status, late=late,
                    form_version=FormVersion.valid_on("report", date(year, 1 if half == 1 else 7, 1)))
    report.values = {"first_info_interviews": fi, "first_info_interpreter": fi_int,
                     "integration_interviews": ig, "integration_interpreter": ig_int}
    report.save()
    return report


def test_worked_example_through_the_database_and_invoice_on_approval(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin"), make_user("accountant")
    _report(muni, 2023, 2, 8, 3, 2, 1)
    payout_runs.add_clawback(admin, 2601, Decimal("12000.00"), "Rückforderung", date(2024, 2, 1))
    run = payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    assert payout_runs.run_summary(run)["total"] == Decimal("0.00")
    run = payout_runs.approve(accountant, run.id, run.version, today=date(2024, 4, 8))
    invoice = Invoice.get()  # issue 13, §4.7: dated on approval, due 30 days after the invoice
    assert (invoice.amount, invoice.invoice_date, invoice.due_date) == (Decimal("610.00"), date(2024, 4, 8),
                                                                        date(2024, 5, 8))
    assert invoice.number == "RE-2024-0001"
    actions = {e.action for e in AuditEntry.select().where(AuditEntry.model.in_(["PayoutRun", "Invoice"]))}
    assert actions == {"prepare", "approve", "create"}


def test_four_eyes_own_run_and_blockers_are_refused(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin"), make_user("accountant")
    _report(muni, 2023, 2, 1, status="submitted")
    run = payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    with pytest.raises(DomainError, match="Blocker"):
        approve(accountant, run)
    PayoutRun.update(prepared_by=accountant.id, issues_json="{}").where(PayoutRun.id == run.id).execute()
    with pytest.raises(DomainError, match="Vier-Augen"):
        approve(accountant, run)
    assert PayoutRun.get_by_id(run.id).status == "draft"


def test_r7_tariff_change_after_approval_leaves_the_run_unchanged(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin"), make_user("accountant")
    _report(muni, 2023, 2, 4)
    run = approve(accountant, payout_runs.prepare(admin, date(2024, 3, 31), TODAY))
    before = [(line.component, line.amount) for line in PayoutLine.select().where(PayoutLine.run == run.id)]
    Tariff.update(amount=Decimal("999.00")).where(Tariff.kind == "fee_first_info").execute()
    with pytest.raises(DomainError, match="bereits freigegeben"):
        payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    assert [(line.component, line.amount) for line in PayoutLine.select().where(PayoutLine.run == run.id)] == before


def test_preparing_twice_gives_identical_lines(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin = make_user("admin")
    _report(muni, 2023, 2, 4, 1)

    def lines():
        return sorted((line.municipality_id, line.component, line.period, line.amount, line.explanation)
                      for line in PayoutLine.select())

    payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    first = lines()
    payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    assert lines() == first and PayoutRun.get().version == 2


def test_concurrent_approvals_yield_exactly_one(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin = make_user("admin")
    accountants = [make_user("accountant") for _ in range(20)]
    _report(muni, 2023, 2, 2)
    payout_runs.add_clawback(admin, 2601, Decimal("20000.00"), "Gross", date(2024, 1, 1))
    run = payout_runs.prepare(admin, date(2024, 3, 31), TODAY)
    outcomes = run_concurrently(app, [lambda u=u: approve(User.get_by_id(u.id), run)
                                      for u in accountants])
    assert outcomes.count("ok") == 1, outcomes
    assert Invoice.select().count() == 1
    assert AuditEntry.select().where(AuditEntry.action == "approve").count() == 1


def test_r17_budget_surplus_after_the_years_runs(app, make_municipality, make_user, client, auth):
    muni = _town(make_municipality, make_user, count=100)
    admin, accountant = make_user("admin"), make_user("accountant")
    payout_runs.set_budget(admin, 2024, Decimal("5000.00"))
    _report(muni, 2023, 2, 2)
    approve(accountant, payout_runs.prepare(admin, date(2024, 3, 31), TODAY))
    year = payout_runs.budget_year(2024)
    # issue 13: by claim year, the fees of H2 2023 (2×200) belong to 2023, the base contribution to 2024
    assert year.used == Decimal("700.00") and year.surplus == Decimal("4300.00")  # 100×7
    assert payout_runs.budget_year(2023).used == Decimal("400.00")
    auth.login(user=accountant)
    page = client.get("/budgets/2024").get_data(as_text=True)
    assert "4’300.00" in page and "Projektkredit" in page and "R17" not in page  # issue 18: no rule ids


# --- pages ----------------------------------------------------------------------------------------

def test_run_pages_prepare_approve_and_explain(app, client, auth, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    _report(muni, 2023, 2, 8, 3, 2, 1)
    admin = auth.login("admin")
    response = client.post("/runs", data={"payout_date": "2024-03-31"})
    assert response.status_code == 302
    run = PayoutRun.get()
    assert run.prepared_by_id == admin.id
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "11’390.00" in page and "Ort 2601" in page
    line = PayoutLine.get(PayoutLine.component == "base_contribution")
    why = client.get(f"/runs/{run.id}/lines/{line.id}").get_data(as_text=True)
    assert "1’250" in why and "31.12.2022" in why and "§4.3.2" in why
    report_line = PayoutLine.get(PayoutLine.component == "case_first_info")
    assert "Anzahl Erstinformationsgespräche" in client.get(f"/runs/{run.id}/lines/{report_line.id}").get_data(
        as_text=True)
    auth.logout()
    accountant = auth.login("accountant")
    response = client.post(f"/runs/{run.id}/approve", data={"version": str(run.version)})
    assert response.status_code == 302 and PayoutRun.get().status == "approved"
    assert PayoutRun.get().approved_by_id == accountant.id
    client.post(f"/runs/{run.id}/book", data={"version": str(PayoutRun.get().version)})
    assert PayoutRun.get().status == "booked"


def test_run_lines_are_paged_in_the_runs_order_without_gaps(app, client, auth, make_municipality, make_user):
    """A national run has 8,000 lines: the list is paged; every line appears exactly once, page after page."""
    for bfs in (2601, 2602, 2603):
        _report(_town(make_municipality, make_user, bfs=bfs), 2023, 2, 8, 3, 2, 1)
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    everything = [line.id for line in payout_runs.lines_of(run)]
    assert len(everything) > 5
    pages = [payout_runs.lines_page(run, n, per_page=2) for n in range(1, 10)]
    assert pages[0].pages == -(-len(everything) // 2) and pages[0].total == len(everything)
    assert [line.id for p in pages[:pages[0].pages] for line in p.items] == everything
    assert pages[-1].page == pages[0].pages  # past the end: the last page, not an empty one
    assert payout_runs.lines_page(run, -3, per_page=2).page == 1
    assert all(line.payee.name and line.municipality.name for line in pages[0].items)
    auth.login("accountant")
    page = client.get(f"/runs/{run.id}/lines?seite=1").get_data(as_text=True)
    assert f"Zeilen 1–{len(everything)} von {len(everything)}" in page and "Seite 1 von 1" in page
    assert "Weiter" not in page
    assert client.get(f"/runs/{run.id}/lines?seite=abc").status_code == 200


def test_prepare_form_shows_the_error_next_to_the_field(client, auth):
    auth.login("admin")
    page = client.post("/runs", data={"payout_date": "2026-04-30"}).get_data(as_text=True)
    assert "invalid-feedback" in page and "kein Auszahlungstermin" in page and PayoutRun.select().count() == 0


def test_stale_approval_form_is_refused(app, client, auth, make_municipality, make_user):
    _town(make_municipality, make_user)
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    auth.login("accountant")
    client.post(f"/runs/{run.id}/approve", data={"version": str(run.version - 1)})
    assert PayoutRun.get().status == "draft"


@pytest.mark.parametrize("role, expected", [("officer", 403), ("auditor", 403), ("admin", 403)])
def test_only_accountants_approve(app, client, auth, make_municipality, make_user, role, expected):
    _town(make_municipality, make_user)
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    auth.login(role)
    assert client.post(f"/runs/{run.id}/approve", data={"version": str(run.version)}).status_code == expected
    assert client.get("/runs").status_code == (403 if role == "officer" else 200)
    assert PayoutRun.get().status == "draft"


def test_officer_sees_own_payout_history_only(app, client, auth, make_municipality, make_user):
    own = _town(make_municipality, make_user)
    foreign = _town(make_municipality, make_user, bfs=2546)
    _report(own, 2023, 2, 2)
    _report(foreign, 2023, 2, 3)
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    officer = User.get_by_id(OfficerAssignment.get(OfficerAssignment.municipality == own).user_id)
    auth.login(user=officer)
    own_line = PayoutLine.get((PayoutLine.municipality == own.id) & (PayoutLine.component == "case_first_info"))
    foreign_line = PayoutLine.get(PayoutLine.municipality == foreign.id)
    assert client.get(f"/runs/{run.id}/lines/{own_line.id}").status_code == 404  # drafts are internal
    approve(make_user("accountant"), run)
    assert client.get(f"/municipalities/{own.id}/payouts").status_code == 200
    assert client.get(f"/runs/{run.id}/lines/{own_line.id}").status_code == 200
    assert client.get(f"/municipalities/{foreign.id}/payouts").status_code == 404
    assert client.get(f"/runs/{run.id}/lines/{foreign_line.id}").status_code == 404
    assert client.get(f"/runs/{run.id}").status_code == 403


# --- the multi-year scenario ----------------------------------------------------------------------

def test_multi_year_scenario_2018_to_2026(app, make_municipality, make_user, make_contract):
    """Tariff change, contract from 2022, late and refused reports, correction, large clawback, 2026 merger."""
    admin, accountant = make_user("admin"), make_user("accountant")
    city = _town(make_municipality, make_user, bfs=2601, count=1000, go_live=date(2018, 3, 31))
    lead = _town(make_municipality, make_user, bfs=2548, count=100)
    member = make_municipality(bfs_nr=2545, name="Mitdorf")
    merged = make_municipality(bfs_nr=2520, name="Halten", organisation_settled_on=date(2017, 1, 1),
                               valid_to=date(2025, 12, 31))
    make_user("officer", municipality=merged, valid_from=date(2017, 1, 1))
    for muni, count in ((member, 50), (merged, 76)):
        for year in range(2016, 2027):
            ForeignPopulation.create(municipality=muni, reference_date=date(year, 12, 31), count=count)
    for year in range(2018, 2027):
        SelfDeclaration.create(municipality=merged, year=year, status="accepted",
                               form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))
    merged.successor = city
    merged.save()
    make_contract(lead, [member], valid_from=date(2022, 1, 1), reference="V-Leber")
    Tariff.update(valid_to=date(2021, 12, 31)).where(Tariff.kind == "fee_first_info").execute()
    Tariff.create(kind="fee_first_info", amount=Decimal("250.00"), valid_from=date(2022, 1, 1), reference="2022")
    for year in range(2017, 2026):
        for half in (1, 2):
            if (year, half) == (2017, 1):
                continue
            for muni in (city, lead, merged) + ((member,) if year >= 2022 else ()):
                late = (muni, year, half) == (lead, 2020, 1)
                _report(muni, year, half, fi=2, fi_int=1 if (year, half) >= (2018, 2) else 0, late=late)
    refused = Report.get((Report.municipality == lead) & (Report.year == 2020) & (Report.half == 1))
    Decision.create(kind="refuse_late_report", municipality=lead, report=refused, reason="Vier Monate zu spät",
                    decided_on=date(2020, 9, 1), decided_by=admin)
    totals = {}
    day = date(2018, 3, 31)
    while day <= date(2026, 3, 31):
        if day == date(2023, 3, 31):  # correction of a paid report and a clawback larger than the payout
            corrected = Report.get((Report.municipality == city) & (Report.year == 2021) & (Report.half == 1))
            corrected.values = {**corrected.values, "first_info_interviews": 5}
            corrected.save()
            payout_runs.add_clawback(admin, 2548, Decimal("100000.00"), "Gross", date(2023, 3, 1))
        run = payout_runs.prepare(admin, day, TODAY)
        assert not run.issues["blockers"], (day, run.issues["blockers"])
        run = approve(accountant, run)
        totals[day] = payout_runs.run_summary(run)["total"]
        day = date(day.year, 9, 30) if day.month == 3 else date(day.year + 1, 3, 31)
    assert totals[date(2018, 3, 31)] > 0 and len(totals) == 17
    correction = PayoutLine.get(PayoutLine.component == "correction")
    assert correction.amount == Decimal("600.00") and correction.period == "2021-H1:case_first_info"  # 3 × 200
    member_line = PayoutLine.select().where((PayoutLine.municipality == member.id)
                                            & (PayoutLine.component == "case_first_info")).first()
    assert member_line.payee_id == lead.id and member_line.rate == Decimal("250.00")
    assert not PayoutLine.select().where(PayoutLine.report == refused.id).exists()
    invoice = Invoice.get()
    assert invoice.municipality_id == lead.id and invoice.amount > 0
    halten_2025 = PayoutLine.get((PayoutLine.municipality == merged.id) & (PayoutLine.period == "2025-H2")
                                 & (PayoutLine.component == "case_first_info"))
    assert halten_2025.payee_id == city.id  # R26
    base_2026 = PayoutLine.get((PayoutLine.municipality == city.id) & (PayoutLine.period == "2026"))
    assert base_2026.quantity == 1076
    paid_reports = [line.report_id for line in PayoutLine.select().where(
        PayoutLine.report.is_null(False) & (PayoutLine.component == "case_first_info"))]
    assert len(paid_reports) == len(set(paid_reports))  # never paid twice
