"""Issue 13 beyond the scenario files: bad input is refused in German with nothing written, on every path."""
import io
import time
from datetime import date
from decimal import Decimal

import pytest
from conftest import approve, ensure_go_live
from peewee import IntegrityError

from models import (
    AuditEntry,
    Budget,
    Decision,
    ForeignPopulation,
    FormVersion,
    Invoice,
    LedgerEntry,
    Municipality,
    PayoutRun,
    Report,
    SelfDeclaration,
    Setting,
    db,
)
from services import decisions, payout_runs, settings
from services.audit import Actor
from services.errors import DomainError
from services.imports import run_import


def _town(make_municipality, make_user, bfs=2601):
    muni = make_municipality(bfs_nr=bfs, name=f"Ort {bfs}", organisation_settled_on=date(2017, 1, 1))
    make_user("officer", municipality=muni)
    for year in range(2022, 2028):
        ForeignPopulation.create(municipality=muni, reference_date=date(year, 12, 31), count=100)
    return muni


def _report(muni, year, half, fi):
    report = Report(municipality=muni, year=year, half=half, status="accepted",
                    form_version=FormVersion.valid_on("report", date(year, 1 if half == 1 else 7, 1)))
    report.values = {"first_info_interviews": fi}
    report.save()
    return report


def test_go_live_is_set_once_on_a_payout_date_and_audited(app, make_user):
    admin = make_user("admin")
    with pytest.raises(DomainError, match="kein Auszahlungstermin"):
        settings.set_go_live(date(2026, 4, 1), admin)
    settings.set_go_live(date(2026, 3, 31), admin)
    with pytest.raises(DomainError, match="bereits auf den 31.03.2026"):
        settings.set_go_live(date(2026, 9, 30), admin)
    assert settings.go_live() == date(2026, 3, 31) and Setting.select().count() == 1
    assert AuditEntry.select().where(AuditEntry.model == "Setting").count() == 1
    with pytest.raises(DomainError, match="nicht erlaubt"):
        settings.set_go_live(date(2026, 9, 30), make_user("accountant"))


def test_cli_go_live_and_runs_before_it_are_refused(app, runner, make_user):
    make_user("admin", email="a@so.ch")
    result = runner.invoke(args=["settings", "go-live", "2026-03-31", "--as", "a@so.ch"])
    assert result.exit_code == 0 and "31" in result.output
    result = runner.invoke(args=["payouts", "prepare", "2025-09-30", "--as", "a@so.ch"])
    assert result.exit_code == 1 and "vor dem Go-live" in result.output and PayoutRun.select().count() == 0


def test_prepare_without_go_live_is_refused_with_the_command_to_run(app, make_user):
    with pytest.raises(DomainError, match="settings go-live"):
        payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 3, 31))


def test_one_draft_at_a_time_and_discarding_it_is_audited(app, make_municipality, make_user, client, auth):
    muni = _town(make_municipality, make_user)
    _report(muni, 2025, 2, 2)
    ensure_go_live(date(2026, 3, 31))
    admin = make_user("admin")
    draft = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 9, 30))
    with pytest.raises(DomainError, match="bereits einen Entwurf per 31.03.2026"):
        payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30))
    auth.login(user=admin)
    response = client.post(f"/runs/{draft.id}/verwerfen", data={"version": str(draft.version)})
    assert response.status_code == 302 and PayoutRun.select().count() == 0
    assert AuditEntry.get(AuditEntry.model == "PayoutRun", AuditEntry.action == "delete").reason.startswith("Entwurf")
    assert payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30)).payout_date == date(2026, 9, 30)


def test_r15_approval_writes_the_ledger_and_a_second_credit_is_impossible(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    _report(muni, 2025, 2, 3)
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 3, 31))
    approve(make_user("accountant"), run)
    entry = LedgerEntry.get(LedgerEntry.component == "case_first_info")
    assert (entry.claim, entry.claim_year, entry.revision, entry.quantity, entry.amount) == (
        "2025-H2", 2025, 0, 3, Decimal("600.00"))
    with pytest.raises(IntegrityError), db.atomic():  # the database itself refuses the same revision twice
        LedgerEntry.create(run=run, line=entry.line, municipality=muni, component="case_first_info", claim="2025-H2",
                           claim_year=2025, revision=0, quantity=3, rate=Decimal("200.00"), amount=Decimal("600.00"))


def stale_admin_import(client, auth, content: bytes) -> str:
    """Upload a municipality file as an admin whose login is 20 minutes old; the preview page."""
    auth.login("admin")
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 20 * 60
    return client.post("/admin/import/", data={"kind": "municipalities", "file": (io.BytesIO(content), "g.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_bank_data_change_needs_a_fresh_login_in_the_admin_import(app, client, auth, make_municipality):
    make_municipality(bfs_nr=2601, name="Solothurn", district="Solothurn")
    new_iban = "CH9300762011623852957"
    content = f"bfs_nr,name,district,iban\n2601,Solothurn,Solothurn,{new_iban}\n".encode()
    assert "Anmeldung der letzten 15 Minuten" in stale_admin_import(client, auth, content)
    assert Municipality.get(Municipality.bfs_nr == 2601).iban != new_iban
    result = run_import("municipalities", "g.csv", content, Actor.cli("import"))  # the operator on the server
    assert result.ok and Municipality.get(Municipality.bfs_nr == 2601).iban == new_iban
    assert AuditEntry.select().where(AuditEntry.actor == "cli:import").exists()


def test_r13_positive_payout_without_bank_data_is_a_blocker(app, make_municipality, make_user):
    muni = make_municipality(bfs_nr=2601, name="Ohnebank", organisation_settled_on=date(2017, 1, 1), iban=None,
                             creditor_number=None)
    make_user("officer", municipality=muni)
    _report(muni, 2025, 2, 1)
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 3, 31))
    assert [b["kind"] for b in run.issues["blockers"]] == ["bank_data"]
    with pytest.raises(DomainError, match="Blocker"):
        approve(make_user("accountant"), run)


def test_r17_year_is_closed_once_and_late_claims_wait_for_a_decision(app, make_municipality, make_user, runner):
    muni = _town(make_municipality, make_user)
    admin, accountant = make_user("admin", email="a@so.ch"), make_user("accountant")
    ensure_go_live(date(2026, 3, 31))
    payout_runs.set_budget(admin, 2025, Decimal("5000.00"))
    _report(muni, 2025, 2, 2)
    approve(accountant, payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31)))
    result = runner.invoke(args=["budgets", "close", "2025", "--as", "a@so.ch"])
    assert result.exit_code == 0 and "4’600.00" in result.output
    assert Budget.get(Budget.year == 2025).surplus == Decimal("4600.00")
    again = runner.invoke(args=["budgets", "close", "2025", "--as", "a@so.ch"])
    assert again.exit_code == 1 and "bereits abgeschlossen" in again.output
    with pytest.raises(DomainError, match="abgeschlossen"):
        payout_runs.set_budget(admin, 2025, Decimal("1.00"))
    Report.update(values_json='{"first_info_interviews": 5}').where(Report.year == 2025).execute()  # corrected up
    run = payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30))
    assert not [line for line in run.lines if line.component == "correction"]
    assert any("2025 ist abgeschlossen" in w["message"] for w in run.issues["withheld"])
    decisions.add_decision(admin, "pay_after_close", 2601, "Nachmeldung bewilligt", date(2026, 9, 1), "fees",
                           "2025-H2")
    run = payout_runs.prepare(admin, date(2026, 9, 30), date(2026, 9, 30))
    assert [line.amount for line in run.lines if line.component == "correction"] == [Decimal("600.00")]


def test_s4_7_refusal_needs_something_to_refuse(app, make_municipality, make_user, runner):
    muni = _town(make_municipality, make_user)
    admin = make_user("admin", email="a@so.ch")
    ensure_go_live(date(2026, 3, 31))
    with pytest.raises(DomainError, match="kein Reporting 2025-H2"):
        decisions.add_decision(admin, "refuse_contribution", 2601, "x", date(2026, 2, 1), "fees", "2025-H2")
    with pytest.raises(DomainError, match="2026-H1 / 2026-H2"):
        decisions.add_decision(admin, "refuse_contribution", 2601, "x", date(2026, 2, 1), "fees", "2025")
    _report(muni, 2025, 2, 2)
    approve(make_user("accountant"), payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31)))
    result = runner.invoke(args=["decisions", "add", "2601", "refuse_contribution", "--component", "fees",
                                 "--period", "2025-H2", "--reason", "zu spät", "--as", "a@so.ch"])
    assert result.exit_code == 1 and "bereits ausbezahlt" in result.output
    assert Decision.select().count() == 0
    result = runner.invoke(args=["decisions", "add", "2601", "refuse_contribution", "--component",
                                 "base_contribution", "--period", "2027", "--reason", "Aufgaben nicht erfüllt",
                                 "--as", "a@so.ch"])
    assert result.exit_code == 0, result.output
    SelfDeclaration.create(municipality=muni, year=2027, status="accepted",
                           form_version=FormVersion.valid_on("self_declaration", date(2027, 1, 1)))
    run = payout_runs.prepare(admin, date(2027, 3, 31), date(2027, 3, 31))
    assert not [line for line in run.lines if line.component == "base_contribution" and line.period == "2027"]
    assert any("Aufgaben nicht erfüllt" in w["message"] for w in run.issues["withheld"])


def test_r16_invoice_state_turns_overdue_after_30_days(app, make_municipality, make_user):
    muni = _town(make_municipality, make_user)
    admin = make_user("admin")
    ensure_go_live(date(2026, 3, 31))
    _report(muni, 2025, 2, 1)
    payout_runs.add_clawback(admin, 2601, Decimal("500.00"), "Rückforderung", date(2026, 1, 10))
    run = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31))
    payout_runs.approve(make_user("accountant"), run.id, run.version, today=date(2026, 4, 2))
    invoice = Invoice.get()
    assert (invoice.number, invoice.amount, invoice.invoice_date) == ("RE-2026-0001", Decimal("300.00"),
                                                                      date(2026, 4, 2))
    assert [invoice.state_on(day) for day in (date(2026, 5, 2), date(2026, 5, 3))] == ["open", "overdue"]


def test_r15_admin_reopens_an_accepted_report_with_a_reason_officer_cannot(app, client, auth, make_municipality,
                                                                           make_user):
    muni = _town(make_municipality, make_user)
    report = _report(muni, 2025, 2, 3)
    url = f"/gemeinden/{muni.id}/reporting/2025/2/korrigieren"
    auth.login("officer")
    assert client.post(url, data={"lock": str(report.version), "reason": "x"}).status_code in (403, 404)
    auth.logout()
    auth.login("admin")
    client.post(url, data={"lock": str(report.version), "reason": ""})
    assert Report.get_by_id(report.id).status == "accepted"  # no reason, nothing changed
    response = client.post(url, data={"lock": str(report.version), "reason": "Zahl der Gespräche prüfen"})
    assert response.status_code == 302 and Report.get_by_id(report.id).status == "returned"
    assert [c.reason for c in Report.get_by_id(report.id).history()] == ["Zahl der Gespräche prüfen"]
