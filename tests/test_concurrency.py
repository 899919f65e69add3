"""Issue 7 concurrency (SQLite and PostgreSQL): one submission of a report, runs see imports whole."""
import threading
from datetime import date

from conftest import ensure_go_live, run_concurrently

from models import FormVersion, Municipality, PayoutLine, Report, SelfDeclaration, StatusChange, User
from services import imports, payout_runs, submissions
from services.audit import Actor


def test_two_officers_submitting_the_same_report_at_once_give_one_submission(app, make_municipality, make_user,
                                                                             make_contract):
    lead, member = make_municipality(name="Leitdorf"), make_municipality(name="Mitdorf")
    make_contract(lead, [member], valid_from=date(2024, 1, 1))
    lead_officer = make_user("officer", municipality=lead)
    member_officer = make_user("officer", municipality=member)
    report = Report.create(municipality=member, year=2025, half=2, status="draft",
                           form_version=FormVersion.valid_on("report", date(2025, 7, 1)))
    users = [User.get_by_id(u.id) for u in (lead_officer, member_officer) * 5]
    outcomes = run_concurrently(app, [lambda u=u: submissions.submit(u, report, report.version) for u in users])
    assert outcomes.count("ok") == 1, outcomes
    assert StatusChange.select().where(StatusChange.to_status == "submitted").count() == 1
    assert Report.get_by_id(report.id).version == report.version + 1


def test_a_run_prepared_during_an_import_sees_all_or_nothing_of_it(app, make_municipality, make_user, monkeypatch):
    municipalities = [make_municipality(bfs_nr=3000 + i, organisation_settled_on=date(2017, 1, 1)) for i in range(40)]
    for muni in municipalities:
        make_user("officer", municipality=muni)
        SelfDeclaration.create(municipality=muni, year=2026, status="accepted",
                               form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))
    admin = make_user("admin")
    ensure_go_live(date(2026, 3, 31))
    original = imports.record_created

    def slow_audit(*args, **kwargs):  # the rows are written, the transaction is still open
        threading.Event().wait(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(imports, "record_created", slow_audit)
    content = "bfs_nr,reference_date,foreign_residents\n" + "".join(
        f"{m.bfs_nr},2024-12-31,{10 + i}\n" for i, m in enumerate(municipalities))
    admin = User.get_by_id(admin.id)
    outcomes = run_concurrently(app, [
        lambda: imports.run_import("population", "b.csv", content.encode(), Actor.cli("t")),
        lambda: payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 11, 25)),
    ])
    assert "ok" in outcomes
    base = list(PayoutLine.select().where(PayoutLine.component == "base_contribution"))
    if base:
        statuses = {line.status for line in base}
        assert statuses in ({"blocked"}, {"payable"}), statuses  # before the import, or after all of it
    assert Municipality.select().count() == 40
