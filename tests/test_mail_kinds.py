"""Every kind of message, caused for real and delivered through a real SMTP server (issue 15, "Done when").

The causes are the application's own (booking a run, approving one with a clawback, reviewing a report,
the reminder and letter commands, a sample's evidence request); the sender talks SMTP to aiosmtpd in the
test process; what arrives is read back: recipients, subject, German body, PDF attachments.
"""
import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from mailserver import SMTPServer
from test_invoices import invoiced  # noqa: F401 - fixtures used by name
from test_letters import booked  # noqa: F401

from models import FormVersion, OutboxMessage, Report, Status
from services import letters, reminders, samples, submissions
from services.audit import Actor
from services.mail_sender import MailSettings, message_id, send_pending

PDF_KINDS = {"payout_notice", "anhang1", "invoice"}


@pytest.fixture
def smtp(app):
    with SMTPServer() as server, app.app_context():
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield server


def _deliver(app, smtp):
    result = send_pending(MailSettings.from_config(app.config))
    arrived = {message["Message-ID"].strip(): message for message in smtp.recorder.messages()}
    assert len(arrived) == len(smtp.recorder.envelopes)  # nothing twice
    return result, arrived


def _check_arrival(app, message: OutboxMessage, arrived) -> None:
    mail = arrived[message_id(message, MailSettings.from_config(app.config).sender)]
    assert " ".join(str(mail["Subject"]).split()) == message.subject
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.replace("\r\n", "\n").strip() == message.body.strip()  # the German text as written
    pdfs = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    if message.kind in PDF_KINDS:
        assert len(pdfs) == 1
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdfs[0].get_content())).pages)
        assert "Kanton Solothurn" in text
    assert OutboxMessage.get_by_id(message.id).status == "sent"


def test_booking_review_reminders_and_letters_arrive_once_each_over_smtp(app, smtp, booked, make_user):  # noqa: F811
    """payout_notice (booking), returned and accepted (review), reminder_overdue (R2), anhang1 (R25)."""
    admin, officer = booked["admin"], booked["ib_so"]
    report = Report(municipality=booked["solothurn"], year=2024, half=1, status=Status.SUBMITTED,
                    form_version=FormVersion.valid_on("report", date(2024, 1, 1)))
    report.values = {"first_info_interviews": 1}
    report.save()
    report = submissions.return_(admin, report, "Bitte Dolmetscheinsätze belegen", report.version)
    report = Report.get_by_id(report.id)
    report.status, report.version = Status.SUBMITTED, report.version + 1
    report.save()
    submissions.accept(admin, report, report.version)
    reminders.send(Actor.cli("test"), date(2026, 11, 28), 14)
    letters.send_anhang1(2026, date(2026, 1, 5))
    queued = list(OutboxMessage.select().where(OutboxMessage.status == "queued"))
    assert {"payout_notice", "returned", "accepted", "reminder_overdue", "anhang1"} <= {m.kind for m in queued}
    result, arrived = _deliver(app, smtp)
    for message in queued:
        _check_arrival(app, message, arrived)
    envelope_to = {rcpt for envelope in smtp.recorder.envelopes for rcpt in envelope.rcpt_tos}
    assert officer.email in envelope_to and "finanzen@solothurn.ch" in envelope_to
    assert send_pending(MailSettings.from_config(app.config)).sent == 0  # a second run sends nothing


def test_invoice_arrives_at_the_finance_office_with_its_pdf(app, smtp, invoiced):  # noqa: F811
    message = OutboxMessage.get(OutboxMessage.kind == "invoice")
    _result, arrived = _deliver(app, smtp)
    _check_arrival(app, message, arrived)
    assert smtp.recorder.envelopes[0].rcpt_tos == ["finanzen@grenchen.example"]


def test_evidence_request_of_a_sample_arrives_at_the_officer(app, smtp, make_municipality, make_user):
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    officer = make_user("officer", municipality=muni)
    report = Report(municipality=muni, year=2025, half=1, status=Status.ACCEPTED,
                    form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    report.values = {"first_info_interviews": 3}
    report.save()
    auditor = make_user("auditor")
    sample = samples.draw_sample(auditor, 2025, method="count", value=1, seed="7")
    assert samples.request_all(auditor, sample.id) == 1
    message = OutboxMessage.get(OutboxMessage.kind == "evidence_request")
    _result, arrived = _deliver(app, smtp)
    _check_arrival(app, message, arrived)
    assert smtp.recorder.envelopes[0].rcpt_tos == [officer.email]


def test_a_refused_delivery_of_a_real_notice_is_retried_and_then_arrives_once(app, smtp, booked):  # noqa: F811
    smtp.recorder.refuse = 1
    first = send_pending(MailSettings.from_config(app.config))
    assert first.retried >= 1
    waiting = OutboxMessage.select().where(OutboxMessage.last_error != "", OutboxMessage.status == "queued")
    assert waiting.count() >= 1 and "550" in waiting[0].last_error
    OutboxMessage.update(next_attempt_at=date(2000, 1, 1)).where(OutboxMessage.status == "queued").execute()
    send_pending(MailSettings.from_config(app.config))
    assert OutboxMessage.select().where(OutboxMessage.status != "sent", OutboxMessage.kind == "payout_notice"
                                        ).count() == 0
    ids = [m["Message-ID"] for m in smtp.recorder.messages()]
    assert len(ids) == len(set(ids))
