"""Issue 15: the officers hear when the canton returns (with the reason) or accepts a form (R12, R22).

The notice is queued in the transaction of the status change: a review that fails writes no message.
"""
from datetime import date

import pytest
from flask import url_for

from core.calendar import HalfYear
from models import FormVersion, OutboxMessage, Report, SelfDeclaration, Status, StatusChange, db
from services import submissions
from services.errors import DomainError
from services.outbox import recipients_of
from services.portal import document_path


@pytest.fixture
def submitted(app, make_municipality, make_user, make_contract):
    """Flumenthal's H1 2026 report is submitted; Hubersdorf's officer is responsible for it through the contract."""
    lead = make_municipality(bfs_nr=2545, name="Hubersdorf")
    member = make_municipality(bfs_nr=2547, name="Flumenthal")
    make_contract(lead, [member], valid_from=date(2024, 1, 1))
    officer = make_user("officer", municipality=lead, name="Lea Leitgemeinde", email="ib@hubersdorf.ch")
    make_user("officer", email="ib@fremd.ch")  # another municipality's officer hears nothing
    admin = make_user("admin")
    report = Report.create(municipality=member, year=2026, half=1, status=Status.SUBMITTED,
                           form_version=FormVersion.valid_on("report", HalfYear(2026, 1).start))
    return {"report": report, "admin": admin, "officer": officer, "member": member}


def _notices():
    return list(OutboxMessage.select().where(OutboxMessage.kind.in_(["returned", "accepted"]))
                .order_by(OutboxMessage.id))


def test_r22_return_notifies_the_responsible_officer_with_reason_and_link(submitted):
    """R12/R22: the lead's officer gets the reason and the form's portal path; nobody else is addressed."""
    report = submissions.return_(submitted["admin"], submitted["report"], "Dolmetscheinsätze bitte prüfen.")
    (message,) = _notices()
    change = StatusChange.get(StatusChange.report == report.id, StatusChange.to_status == Status.RETURNED)
    assert message.kind == "returned" and message.dedupe_key == f"returned:status_change:{change.id}"
    assert recipients_of(message) == [("Lea Leitgemeinde", "ib@hubersdorf.ch")]
    assert message.subject == "Zurückgewiesen: Reporting 1. Halbjahr 2026 Flumenthal"
    assert "Dolmetscheinsätze bitte prüfen." in message.body and "zur Korrektur zurückgewiesen" in message.body
    assert f"/gemeinden/{submitted['member'].id}/reporting/2026/1" in message.body
    assert message.municipality_id == submitted["member"].id and message.created_by == submitted["admin"].email


def test_r22_accept_sends_a_short_notice_and_each_status_change_its_own(submitted):
    """Return, resubmit, accept: two notices, one per status change (the dedupe key is the change)."""
    admin, officer = submitted["admin"], submitted["officer"]
    report = submissions.return_(admin, submitted["report"], "Bitte ergänzen.")
    report = submissions.submit(officer, report, report.version, today=date(2026, 7, 20))
    report = submissions.accept(admin, report, report.version)
    kinds = [m.kind for m in _notices()]
    assert kinds == ["returned", "accepted"]
    accepted = _notices()[1]
    assert accepted.subject == "Akzeptiert: Reporting 1. Halbjahr 2026 Flumenthal"
    assert "akzeptiert" in accepted.body and recipients_of(accepted) == [("Lea Leitgemeinde", "ib@hubersdorf.ch")]
    assert OutboxMessage.select().count() == 2  # submitting sends nothing


def test_reopen_of_an_accepted_form_is_announced_with_its_reason(submitted):
    """R15: the canton reopens an accepted form; the officer gets the reason."""
    admin = submitted["admin"]
    report = submissions.accept(admin, submitted["report"])
    submissions.reopen(admin, report, "Zahl der Gespräche korrigieren.")
    reopened = _notices()[-1]
    assert reopened.kind == "returned" and "wieder geöffnet" in reopened.body
    assert "Zahl der Gespräche korrigieren." in reopened.body


def test_a_failing_review_writes_no_message(submitted):
    """Same transaction: a stale review and a review rolled back afterwards leave the outbox empty."""
    admin, report = submitted["admin"], submitted["report"]
    with pytest.raises(DomainError):
        submissions.accept(admin, report, expected_version=report.version + 5)
    with pytest.raises(DomainError):
        submissions.return_(admin, report, "   ")  # no reason
    with pytest.raises(RuntimeError), db.atomic():
        submissions.accept(admin, report)
        raise RuntimeError("the request failed after the review")
    assert _notices() == [] and Report.get_by_id(report.id).status == Status.SUBMITTED


def test_self_declaration_return_without_any_officer_is_kept_as_no_address(app, make_municipality, make_user):
    """A municipality nobody is responsible for: the notice waits as "keine Adresse" instead of vanishing."""
    muni = make_municipality(bfs_nr=2541, name="Balm bei Günsberg")
    declaration = SelfDeclaration.create(municipality=muni, year=2026, status=Status.SUBMITTED,
                                         form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))
    submissions.return_(make_user("admin"), declaration, "Aufgabe 3 fehlt.")
    (message,) = _notices()
    assert message.status == "no_address" and message.last_error == "keine Adresse"
    assert f"/gemeinden/{muni.id}/selbstdeklaration/2026" in message.body


def test_notice_paths_are_the_portal_routes(app, submitted):
    """The path in a message is the route the officer opens (no second URL scheme)."""
    muni = submitted["member"]
    with app.test_request_context():
        assert url_for("portal.report_edit", municipality_id=muni.id, year=2026, half=1) == \
            document_path(muni.id, "report", 2026, 1)
        assert url_for("portal.self_declaration_edit", municipality_id=muni.id, year=2026) == \
            document_path(muni.id, "self_declaration", 2026)
