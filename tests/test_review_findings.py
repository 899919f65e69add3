"""Review of issue 13 (money integrity): each defect found by attacking the implementation, as a failing test.

Each finding has its test; all are fixed (the R16 reading of a clawback without credit follows §4.7: invoiced).
"""
from datetime import date
from decimal import Decimal

import pytest
from conftest import approve, ensure_go_live
from test_money_integrity import _report, _town, stale_admin_import

from models import AuditEntry, Budget, Clawback, Decision, FormVersion, Invoice, Municipality, Report, User
from services import masterdata, payout_runs, submissions
from services.errors import DomainError


def test_r17_a_year_is_not_closed_before_its_last_regular_run(app, make_municipality, make_user):
    """Closing 2026 in spring 2026 recorded the whole credit as surplus, irreversibly, and then withheld every
    fee of H1 2026 in the September run as "Jahr abgeschlossen". A year's claims are paid up to the run per
    31.03. of the next year (R4): only after that run is approved is there a surplus to record (R17)."""
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin"), make_user("accountant")
    ensure_go_live(date(2026, 3, 31))
    payout_runs.set_budget(admin, 2026, Decimal("5000.00"))
    audits = AuditEntry.select().count()
    with pytest.raises(DomainError, match="31.03.2027"):
        payout_runs.close_year(admin, 2026)
    assert Budget.get(Budget.year == 2026).closed_at is None and AuditEntry.select().count() == audits
    _report(muni, 2026, 1, 2)
    run = payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30))
    approve(accountant, run)
    with pytest.raises(DomainError, match="31.03.2027"):  # H2 2026 is still to be paid
        payout_runs.close_year(admin, 2026)
    _report(muni, 2026, 2, 1)
    approve(accountant, payout_runs.prepare(admin, date(2027, 3, 31), date(2027, 3, 31)))
    assert payout_runs.close_year(admin, 2026).surplus == Decimal("4400.00")


def _closed_2025(make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin", email="closer@so.ch"), make_user("accountant")
    ensure_go_live(date(2026, 3, 31))
    payout_runs.set_budget(admin, 2025, Decimal("5000.00"))
    _report(muni, 2025, 2, 2)
    approve(accountant, payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31)))
    return payout_runs.close_year(admin, 2025)


def test_r17_admin_form_cannot_change_or_delete_a_closed_years_budget(app, client, auth, make_municipality,
                                                                      make_user):
    """`budgets set` refuses a closed year, but /admin/budget/edit changed its credit (surplus 4'600 recorded
    against a credit now 9'000), and /admin/budget/delete removed the closed year, so its late claims were paid
    again without a decision. Both must be refused with a German message, nothing written."""
    budget = _closed_2025(make_municipality, make_user)
    auth.login("admin")
    response = client.post(f"/admin/budget/edit/?id={budget.id}", data={"year": "2025", "credit": "9000.00"},
                           follow_redirects=True)
    assert "abgeschlossen" in response.get_data(as_text=True)
    assert Budget.get_by_id(budget.id).credit == Decimal("5000.00")
    response = client.post("/admin/budget/delete/", data={"id": str(budget.id)}, follow_redirects=True)
    assert "abgeschlossen" in response.get_data(as_text=True)
    assert Budget.get_or_none(Budget.id == budget.id) is not None


def test_r16_clawback_without_credit_is_invoiced_like_a_negative_correction(app, make_municipality, make_user):
    """§4.7: the claim exceeds the credit (0) in the run, so the difference is invoiced, as a negative correction is
    (correction_counted_twice scenario); before, the clawback stayed open without a trace in the run."""
    _town(make_municipality, make_user)
    admin = make_user("admin")
    ensure_go_live(date(2026, 3, 31))
    payout_runs.add_clawback(admin, 2601, Decimal("600.00"), "Aufgaben nicht erfüllt", date(2026, 2, 1))
    run = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31))
    approve(make_user("accountant"), run)
    assert [(i.amount, i.invoice_date) for i in Invoice.select()] == [(Decimal("600.00"), date.today())]


def test_r14_a_report_reopened_by_the_canton_does_not_become_late(app, make_municipality, make_user):
    """Submitted on 10.07.2026 (deadline 31.07.), accepted and paid; the canton reopens it for a correction (R15)
    and the officer resubmits on 02.11.2026. It was flagged "verspätet" and could then be refused as a late
    report (R14), although the municipality reported on time; the correction was the canton's initiative."""
    muni = _town(make_municipality, make_user)
    officer, admin = User.get(User.role == "officer"), make_user("admin")
    ensure_go_live(date(2026, 9, 30))
    draft = Report(municipality=muni, year=2026, half=1, form_version=FormVersion.valid_on("report", date(2026, 1, 1)))
    draft = submissions.save_draft(officer, draft, {"first_info_interviews": 5}, None)
    report = submissions.submit(officer, draft, draft.version, today=date(2026, 7, 10))
    submissions.accept(admin, report)
    approve(make_user("accountant"), payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30)))
    report = submissions.reopen(admin, Report.get_by_id(report.id), "Anzahl falsch erfasst")
    report = submissions.save_draft(officer, report, {"first_info_interviews": 4}, report.version)
    report = submissions.submit(officer, report, report.version, today=date(2026, 11, 2))
    assert report.late is False
    with pytest.raises(DomainError, match="nicht verspätet"):
        masterdata.check_decision(Decision(kind="refuse_late_report", municipality=muni, report=report,
                                           reason="zu spät", decided_on=date(2026, 11, 3)))


def test_bank_data_of_a_new_municipality_needs_a_fresh_login_in_the_import_as_in_the_form(app, client, auth):
    """The admin form asks for a fresh login when a municipality is created with an IBAN; the admin import
    created one with an IBAN and creditor number from a 20-minute-old session (issue 13: every path)."""
    content = b"bfs_nr,name,district,iban,creditor_number\n2699,Neudorf,Lebern,CH9300762011623852957,K-1\n"
    assert "Anmeldung der letzten 15 Minuten" in stale_admin_import(client, auth, content)
    assert Municipality.get_or_none(Municipality.bfs_nr == 2699) is None


def test_r16_an_invoiced_clawback_is_history_too(app, client, auth, make_municipality, make_user):
    """A negative correction with nothing to offset becomes a clawback of 600 and invoice RE-…; that clawback has
    no offset line, so /admin/clawback/edit accepted 60'000 (and another municipality) for it while its invoice
    still says 600. Once invoiced, a clawback is frozen like one offset in an approved run."""
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin"), make_user("accountant")
    ensure_go_live(date(2026, 9, 30))
    report = _report(muni, 2026, 1, 5)
    approve(accountant, payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30)))
    Report.update(values_json='{"first_info_interviews": 2}').where(Report.id == report.id).execute()
    approve(accountant, payout_runs.prepare(admin, date(2027, 3, 31), date(2027, 3, 31)))
    invoice = Invoice.get()
    assert invoice.amount == Decimal("600.00")
    auth.login("admin")
    page = client.post(f"/admin/clawback/edit/?id={invoice.clawback_id}", data={
        "municipality": str(muni.id), "amount": "60000.00", "decided_on": "2027-03-31", "reason": "geändert"},
        follow_redirects=True).get_data(as_text=True)
    assert Clawback.get_by_id(invoice.clawback_id).amount == Decimal("600.00")
    assert "verrechnet oder in Rechnung gestellt" in page
