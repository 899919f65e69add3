"""Issue 15: the Postausgang page (admin resends, financial control reads) and the dispatch record per
municipality (R12: an officer sees only their own municipality's messages)."""
from datetime import date, timedelta
from html import unescape

import pytest
from conftest import csrf_token_from
from mailserver import SMTPServer
from test_hardening import _admin_with_csrf

from models import AuditEntry, Correspondent, OutboxMessage, utcnow
from services.audit import Actor
from services.mail_sender import MailSettings, claim_next, send_pending
from services.outbox import Attachment, enqueue

ACTOR = Actor.cli("test")


def _message(key="m1", recipients=(("Ida Muster", "ida@gemeinde.ch"),), municipality=None, kind="other",
             subject="Frist Reporting"):
    return enqueue(ACTOR, kind, list(recipients), subject, "Grüezi\n\nText der Nachricht.", dedupe_key=key,
                   municipality=municipality,
                   attachments=[Attachment("Brief.pdf", "application/pdf", b"%PDF-1.4 brief")])[0]


def test_postausgang_lists_states_filters_and_shows_the_message_with_its_attachment(client, auth,
                                                                                    make_municipality):
    auth.login("admin")
    muni = make_municipality(name="Postdorf")
    queued = _message("a", municipality=muni)
    no_address = _message("b", recipients=[("Ohne", "")], subject="Ohne Adresse")
    OutboxMessage.update(status="failed", last_error="550 abgelehnt").where(OutboxMessage.id == queued.id).execute()
    page = unescape(client.get("/admin/postausgang/").get_data(as_text=True))
    assert "Frist Reporting" in page and "Ohne Adresse" in page and "Postdorf" in page
    assert "fehlgeschlagen (1)" in page and "keine Adresse (1)" in page and "550 abgelehnt" in page
    filtered = unescape(client.get("/admin/postausgang/?status=no_address").get_data(as_text=True))
    assert "Ohne Adresse" in filtered and "Frist Reporting" not in filtered
    detail = unescape(client.get(f"/admin/postausgang/{no_address.id}").get_data(as_text=True))
    assert "Text der Nachricht." in detail and "keine Adresse" in detail and "Erneut senden" in detail
    attachment = no_address.attachments[0]
    download = client.get(f"/admin/postausgang/{no_address.id}/anhang/{attachment.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 brief"
    assert client.get(f"/admin/postausgang/{queued.id}/anhang/{attachment.id}").status_code == 404


def test_auditor_reads_the_postausgang_but_cannot_resend(client, auth):
    message = _message()
    OutboxMessage.update(status="failed").execute()
    auth.login("auditor")
    assert "Erneut senden" not in client.get(f"/admin/postausgang/{message.id}").get_data(as_text=True)
    assert client.post(f"/admin/postausgang/{message.id}/erneut-senden").status_code == 403
    assert OutboxMessage.get_by_id(message.id).status == "failed"


def test_resend_of_a_failed_message_queues_it_again_audited_and_it_is_delivered(app, client, auth, tmp_path):
    admin = auth.login("admin")
    message = _message()
    OutboxMessage.update(status="failed", attempts=6, last_error="550").execute()
    response = client.post(f"/admin/postausgang/{message.id}/erneut-senden")
    assert response.status_code == 302
    stored = OutboxMessage.get_by_id(message.id)
    assert (stored.status, stored.attempts, stored.last_error) == ("queued", 0, "")
    entry = AuditEntry.get((AuditEntry.action == "resend") & (AuditEntry.record_id == str(message.id)))
    assert entry.actor == admin.email and '"failed"' in entry.before
    with SMTPServer() as smtp, app.app_context():
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DIR=str(tmp_path))
        assert send_pending(MailSettings.from_config(app.config)).sent == 1
        assert [e.rcpt_tos for e in smtp.recorder.envelopes] == [["ida@gemeinde.ch"]]


def test_resend_without_address_rereads_the_current_correspondent(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality()
    message = _message(recipients=[("Ohne", "")], municipality=muni)
    page = unescape(client.post(f"/admin/postausgang/{message.id}/erneut-senden",
                                follow_redirects=True).get_data(as_text=True))
    assert "Weiterhin keine gültige Adresse" in page and OutboxMessage.get_by_id(message.id).status == "no_address"
    Correspondent.create(municipality=muni, name="Kora Muster", email="kora@gemeinde.ch",
                         valid_from=date(2020, 1, 1))
    client.post(f"/admin/postausgang/{message.id}/erneut-senden")
    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "queued" and '"kora@gemeinde.ch"' in stored.recipients_json


def test_an_interrupted_send_is_flagged_and_only_resent_deliberately(client, auth):
    auth.login("admin")
    message = _message()
    assert claim_next("died", utcnow()).id == message.id
    OutboxMessage.update(claimed_at=utcnow() - timedelta(minutes=20)).execute()  # it died 20 minutes ago
    page = unescape(client.get("/admin/postausgang/?status=interrupted").get_data(as_text=True))
    assert "Versand unterbrochen – bitte prüfen" in page and "Frist Reporting" in page
    client.post(f"/admin/postausgang/{message.id}/erneut-senden")
    assert OutboxMessage.get_by_id(message.id).status == "queued"


def test_a_sent_or_fresh_claim_cannot_be_resent(client, auth):
    auth.login("admin")
    message = _message()
    assert claim_next("alive", utcnow()).id == message.id  # being sent right now
    page = unescape(client.post(f"/admin/postausgang/{message.id}/erneut-senden",
                                follow_redirects=True).get_data(as_text=True))
    assert "kann nicht erneut gesendet werden" in page
    assert OutboxMessage.get_by_id(message.id).status == "sending"


def test_resend_needs_the_csrf_token(make_app, make_user):
    client = _admin_with_csrf(make_app, make_user)
    message = _message()
    OutboxMessage.update(status="failed").execute()
    assert client.post(f"/admin/postausgang/{message.id}/erneut-senden").status_code == 400
    token = csrf_token_from(client.get(f"/admin/postausgang/{message.id}").get_data(as_text=True))
    assert client.post(f"/admin/postausgang/{message.id}/erneut-senden",
                       data={"csrf_token": token}).status_code == 302
    assert OutboxMessage.get_by_id(message.id).status == "queued"


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_dispatch_record_on_the_municipality_page(client, auth, make_municipality, role):
    muni, other = make_municipality(), make_municipality()
    _message("own", municipality=muni, subject="Eigene Nachricht")
    _message("other", municipality=other, subject="Fremde Nachricht")
    auth.login(role)
    page = unescape(client.get(f"/gemeinden/{muni.id}").get_data(as_text=True))
    assert "Eigene Nachricht" in page and "Fremde Nachricht" not in page and "ida@gemeinde.ch" in page
    assert "in Warteschlange" in page


def test_r12_officer_sees_only_the_dispatch_record_of_their_municipality(client, auth, make_municipality, make_user):
    own, foreign = make_municipality(name="Eigenheim"), make_municipality(name="Fremdheim")
    officer = make_user("officer", municipality=own)
    _message("own", municipality=own, subject="An Eigenheim")
    _message("foreign", municipality=foreign, subject="An Fremdheim")
    Correspondent.create(municipality=own, name="Kora Eigen", email="kora@eigenheim.ch", valid_from=date(2020, 1, 1))
    auth.login(user=officer)
    assert f"/gemeinden/{own.id}/versand" in client.get("/").get_data(as_text=True)
    page = unescape(client.get(f"/gemeinden/{own.id}/versand").get_data(as_text=True))
    assert "An Eigenheim" in page and "Kora Eigen" in page and "An Fremdheim" not in page
    assert "/admin/postausgang/" not in page  # no link into the canton's Postausgang
    response = client.get(f"/gemeinden/{foreign.id}/versand")
    assert response.status_code == 404 and "An Fremdheim" not in response.get_data(as_text=True)
    assert client.get("/admin/postausgang/").status_code == 403
