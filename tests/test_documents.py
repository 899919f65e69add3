"""Report and self-declaration share one behaviour (R2, R3, R22): values, deadline, history, transitions; the
submission preview computes fees with the run's own rule (R6, R8, R9)."""
from datetime import date
from pathlib import Path

import pytest
from conftest import ensure_go_live

from models import TRANSITIONS, FormVersion, Report, SelfDeclaration, Status, StatusChange, User
from services import payout_runs, submissions
from services.errors import DomainError

DATA = Path(__file__).resolve().parent.parent / "data"


def _report(muni, year=2025, half=1):
    return Report(municipality=muni, year=year, half=half, form_version=FormVersion.valid_on("report", date(year, 1, 1)))


def _declaration(muni, year=2026):
    return SelfDeclaration(municipality=muni, year=year,
                           form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))


def test_r22_transition_table_is_data_on_the_base():
    """draft/returned → submitted → accepted | returned, accepted → returned for a correction (R15), nothing else."""
    assert TRANSITIONS == {
        "submit": (("draft", "returned"), "submitted"),
        "accept": (("submitted",), "accepted"),
        "return": (("submitted",), "returned"),
        "reopen": (("accepted",), "returned"),
    }
    with pytest.raises(KeyError):
        Report.transition("approve")


@pytest.mark.parametrize("make_document", [_report, _declaration])
def test_r22_transition_not_in_the_table_is_refused(make_document, make_municipality, make_user):
    """Accepting or returning a draft, submitting twice, returning an accepted document: refused, nothing written."""
    municipality = make_municipality()
    officer, admin = make_user("officer", municipality=municipality), make_user("admin")
    document = submissions.save_draft(officer, make_document(municipality), {"remarks": "x"}, None)
    for refused in (lambda d: submissions.accept(admin, d), lambda d: submissions.return_(admin, d, "Grund")):
        with pytest.raises(DomainError):
            refused(document)
    document = submissions.submit(officer, document, document.version)
    with pytest.raises(DomainError):
        submissions.submit(officer, document, document.version)
    document = submissions.accept(admin, document, document.version)
    for refused in (lambda d: submissions.return_(admin, d, "Grund"), lambda d: submissions.accept(admin, d)):
        with pytest.raises(DomainError):
            refused(document)
    fresh = type(document).get_by_id(document.id)
    assert fresh.status == Status.ACCEPTED and fresh.version == document.version
    assert [c.to_status for c in fresh.history()] == ["draft", "submitted", "accepted"]
    assert StatusChange.select().count() == 3


@pytest.mark.parametrize("make_document, deadline, title", [
    (_report, date(2025, 7, 31), "Reporting 1. Halbjahr 2025"),
    (_declaration, date(2026, 1, 31), "Selbstdeklaration 2026"),
])
def test_r2_r3_both_documents_share_values_deadline_and_history(make_document, deadline, title, make_municipality,
                                                                 make_user):
    """One values column, the deadline of R2/R3, the title and the history, whatever the document."""
    municipality = make_municipality()
    officer = make_user("officer", municipality=municipality)
    document = submissions.save_draft(officer, make_document(municipality), {"remarks": "Grüezi"}, None)
    document = submissions.save_draft(officer, document, {"remarks": "Neu"}, document.version)
    stored = type(document).get_by_id(document.id)
    assert stored.values == {"remarks": "Neu"} and stored.values_json == '{"remarks": "Neu"}'
    assert (stored.deadline, stored.title, stored.status_label) == (deadline, title, "Entwurf")
    history = submissions.history(stored)
    assert [(c.from_status, c.to_status, c.user.id) for c in history] == [(None, "draft", officer.id)]
    assert submissions.history(make_document(stored.municipality)) == []


def test_self_declaration_triggers_no_fees(make_municipality):
    """Only reports pay fees (R8, R9): the preview of a self-declaration is empty."""
    assert submissions.fee_preview(_declaration(make_municipality()), {"first_info_interviews": 5}) == []


def test_r6_r8_r9_preview_before_submission_equals_the_run_lines(app, runner):
    """What the officer sees before submitting is what the run pays, line by line (one fee function)."""
    for kind, path in (("municipalities", "municipalities.csv"), ("municipalities", "examples/organisation.csv"),
                       ("officers", "examples/officers.csv"), ("reports", "examples/reports.csv")):
        result = runner.invoke(args=["import", kind, str(DATA / path)])
        assert result.exit_code == 0, result.output
    admin = User.create(email="admin@test.so.ch", role="admin", name="Admin")
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 1))
    reports = list(Report.select())
    assert len(reports) == 4
    for report in reports:
        preview = {(i.component, i.quantity, i.rate, i.amount) for i in submissions.fee_preview(report)}
        lines = {(line.component, line.quantity, line.rate, line.amount) for line in run.lines
                 if line.report_id == report.id}
        assert preview and preview == lines
