"""Issue 15: the outbox is delivered through a real SMTP server (aiosmtpd in-process), once per message.

Proves: dedupe (a replayed cause and a second sender run send once), the retry after a refused or
unreachable delivery with back-off, a crash mid-batch (SIGKILL of `flask mail send` between the
server's receipt and the mark) neither loses nor duplicates, two concurrent senders never take the
same message (PostgreSQL: FOR UPDATE SKIP LOCKED), header injection is impossible, and the .eml
fallback without MAIL_SERVER.
"""
import email
import os
import subprocess
import sys
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from conftest import run_concurrently
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from mailserver import SMTPServer, free_port

from config import StartupError, build_config
from models import AuditEntry, OutboxMessage, utcnow
from services import mail_sender
from services.audit import Actor
from services.mail_sender import BACKOFF, MAX_ATTEMPTS, MailSettings, claim_next, send_pending
from services.outbox import Attachment, enqueue

ACTOR = Actor.cli("test")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def app_context(app):
    """Flask-Mailman builds messages and connections inside an application context, as the CLI does."""
    with app.app_context():
        yield


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def settings(app, smtp, tmp_path):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DIR=str(tmp_path / "mail"))
    return MailSettings.from_config(app.config)


def _queue(n, prefix="k", municipality=None):
    return [enqueue(ACTOR, "other", [(f"Person {i}", f"p{i}@gemeinde.ch")], f"Betreff {i}", f"Grüezi {i}",
                    dedupe_key=f"{prefix}{i}", municipality=municipality)[0] for i in range(n)]


def test_message_arrives_with_recipients_attachment_and_message_id_from_the_dedupe_key(app, smtp, settings,
                                                                                       make_municipality):
    muni = make_municipality()
    message, _ = enqueue(ACTOR, "returned", [("Ida Müller", "ida@gemeinde.ch"), ("Finanzen", "fv@gemeinde.ch")],
                         "Reporting 1. Halbjahr 2026 zurückgewiesen", "Grüezi Frau Müller\n\nBitte korrigieren.",
                         dedupe_key="returned:report:7:1", municipality=muni,
                         attachments=[Attachment("Brief.pdf", "application/pdf", b"%PDF-1.4 test")])
    result = send_pending(settings)
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [envelope] = smtp.recorder.envelopes
    assert sorted(envelope.rcpt_tos) == ["fv@gemeinde.ch", "ida@gemeinde.ch"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Reporting 1. Halbjahr 2026 zurückgewiesen"
    assert received["Message-ID"].strip() == mail_sender.message_id(message, settings.sender)
    assert "Ida Müller" in str(received["To"])
    body = received.get_body(("plain",)).get_content()
    assert "Grüezi Frau Müller" in body
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "Brief.pdf" and part.get_content() == b"%PDF-1.4 test"
    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "sent" and stored.sent_at is not None and stored.attempts == 1
    sent = AuditEntry.get((AuditEntry.model == "OutboxMessage") & (AuditEntry.action == "send"))
    assert sent.record_id == str(message.id) and "ida@gemeinde.ch" in sent.reason


def test_dedupe_a_replayed_cause_and_a_second_sender_run_deliver_once(app, smtp, settings):
    for _ in range(3):  # the cause replayed: same dedupe key
        enqueue(ACTOR, "other", [("A", "a@gemeinde.ch")], "Frist", "Text", dedupe_key="reminder:2601:2026-H1:1")
    assert send_pending(settings).sent == 1
    assert send_pending(settings).sent == 0
    assert len(smtp.recorder.envelopes) == 1


def test_refused_delivery_stays_queued_with_the_error_and_is_retried_after_the_back_off(app, smtp, settings):
    [message] = _queue(1)
    smtp.recorder.refuse = 1
    now = utcnow()
    result = send_pending(settings, now=now)
    assert (result.sent, result.retried) == (0, 1)
    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "queued" and "550" in stored.last_error and stored.attempts == 1
    assert stored.next_attempt_at == now + BACKOFF[0]
    assert send_pending(settings, now=now + timedelta(seconds=30)).sent == 0  # not due yet
    assert send_pending(settings, now=now + BACKOFF[0]).sent == 1
    assert len(smtp.recorder.envelopes) == 1
    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "sent" and stored.last_error == "" and stored.attempts == 2
    assert AuditEntry.select().where(AuditEntry.action == "send_failed").count() == 1


def test_back_off_grows_and_the_message_fails_after_the_last_attempt(app, smtp, settings):
    [message] = _queue(1)
    smtp.recorder.refuse = 100
    now = utcnow()
    delays = []
    for _ in range(MAX_ATTEMPTS):
        send_pending(settings, now=now)
        stored = OutboxMessage.get_by_id(message.id)
        delays.append(stored.next_attempt_at - now)
        now = stored.next_attempt_at
    assert delays[:-1] == list(BACKOFF)
    assert stored.status == "failed" and stored.attempts == MAX_ATTEMPTS and "550" in stored.last_error
    assert send_pending(settings, now=now + timedelta(days=1)).sent == 0  # failed waits for an admin
    assert smtp.recorder.envelopes == []


def test_unreachable_server_keeps_everything_queued_and_stops_the_batch(app, tmp_path):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DIR=str(tmp_path / "mail"))
    messages = _queue(3)
    result = send_pending(MailSettings.from_config(app.config))
    assert (result.sent, result.retried) == (0, 1) and "nicht erreichbar" in result.stopped
    states = [(m.status, m.attempts) for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert states == [("queued", 1), ("queued", 0), ("queued", 0)]  # one attempt used, nothing lost
    assert "nicht erreichbar" in OutboxMessage.get_by_id(messages[0].id).last_error


def test_cli_mail_send_prints_german_counts_and_fails_while_the_server_is_down(app, runner, smtp, settings):
    _queue(2)
    result = runner.invoke(args=["mail", "send", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "1 versandt, 0 später erneut versucht, 0 fehlgeschlagen." in result.output
    assert f"127.0.0.1:{smtp.port}" in result.output
    app.config["MAIL_PORT"] = free_port()
    down = runner.invoke(args=["mail", "send"])
    assert down.exit_code == 2 and "0 versandt, 1 später erneut versucht" in down.output


def test_header_injection_through_names_subject_or_stored_recipients_is_impossible(app, smtp, settings):
    message, _ = enqueue(ACTOR, "other", [("Eva\r\nBcc: evil@example.com", "eva@gemeinde.ch"),
                                          ("X", "x@gemeinde.ch\r\nBcc: evil@example.com")],
                         "Frist\r\nBcc: evil@example.com\r\n\r\nFalscher Text", "Text", dedupe_key="inject")
    # even a row written around enqueue (e.g. by hand in the database) is cleaned again when sent
    OutboxMessage.update(recipients_json='[["Eva\\r\\nBcc: evil@example.com", "eva@gemeinde.ch"], '
                                         '["Y", "y@gemeinde.ch\\nBcc: evil2@example.com"]]').execute()
    assert send_pending(settings).sent == 1
    [envelope] = smtp.recorder.envelopes
    assert envelope.rcpt_tos == ["eva@gemeinde.ch"]
    raw = envelope.content.decode("utf-8", "replace")
    head_lines = raw.split("\r\n\r\n", 1)[0].split("\r\n")
    assert not any(line.lower().startswith(("bcc", "falscher")) for line in head_lines)
    assert "evil2" not in raw
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Bcc"] is None and "\n" not in received["Subject"]
    assert received.get_body(("plain",)).get_content().strip() == "Text"


def test_without_mail_server_messages_land_as_eml_files(app, tmp_path):
    app.config.update(MAIL_SERVER="", MAIL_DIR=str(tmp_path / "mail"))
    settings = MailSettings.from_config(app.config)
    assert ".eml" in settings.describe() and str(tmp_path / "mail") in settings.describe()
    [message] = _queue(1)
    assert send_pending(settings).sent == 1
    path = tmp_path / "mail" / f"{message.id}-other.eml"
    saved = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert saved["To"] == "Person 0 <p0@gemeinde.ch>" and saved["Subject"] == "Betreff 0"
    assert saved["Message-ID"].strip() == mail_sender.message_id(message, settings.sender)
    assert OutboxMessage.get_by_id(message.id).status == "sent"
    assert list((tmp_path / "mail").iterdir()) == [path]


def test_two_concurrent_senders_take_each_message_once(app, smtp, settings):
    """With several workers or hosts each message is taken once (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    _queue(30)
    results = []

    def worker(name):
        return lambda: results.append(send_pending(settings, worker=name))

    outcomes = run_concurrently(app, [worker("a"), worker("b"), worker("c")])
    assert outcomes == ["ok", "ok", "ok"]
    assert sum(r.sent for r in results) == 30
    ids = smtp.recorder.message_ids()
    assert len(ids) == 30 and len(set(ids)) == 30
    assert OutboxMessage.select().where(OutboxMessage.status == "sent").count() == 30


def test_a_stale_claim_is_not_resent_automatically_but_shown_as_interrupted(app, smtp, settings):
    [message] = _queue(1)
    now = utcnow()
    assert claim_next("died", now).id == message.id  # a sender claimed it and died before marking
    later = now + timedelta(minutes=16)
    assert send_pending(settings, now=later).sent == 0
    assert mail_sender.interrupted_count(later) == 1 and mail_sender.is_interrupted(
        OutboxMessage.get_by_id(message.id), later)
    assert smtp.recorder.envelopes == []


CHILD_ENV = {"SECRET_KEY": "crash-test-secret-key-0123456789-abcdef", "MAIL_SERVER": "127.0.0.1"}


def test_sigkill_mid_batch_neither_loses_nor_duplicates(app, smtp, settings, database_url, tmp_path):
    """`flask mail send` is killed after the server accepted message 3 but before the sender marked it."""
    messages = _queue(8)
    env = {**os.environ, **CHILD_ENV, "DATABASE_URL": database_url, "MAIL_PORT": str(smtp.port),
           "MAIL_DIR": str(tmp_path / "mail")}
    child = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "mail", "send"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def kill_on_third(count):
        if count == 3:
            child.kill()
            child.wait()

    smtp.recorder.on_data = kill_on_third
    try:
        child.wait(timeout=60)
    finally:
        smtp.recorder.on_data = None
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -9
    time.sleep(0.2)
    states = {m.id: m.status for m in OutboxMessage.select()}
    assert list(states.values()).count("sending") == 1  # the one between send and mark
    assert list(states.values()).count("sent") == 2
    later = utcnow() + timedelta(minutes=16)
    assert send_pending(settings, now=later).sent == 5
    ids = smtp.recorder.message_ids()
    assert len(ids) == 8 and len(set(ids)) == 8  # nothing lost, nothing twice
    assert sorted(ids) == sorted(mail_sender.message_id(m, settings.sender) for m in messages)
    assert mail_sender.interrupted_count(later) == 1  # shown on the Postausgang for a deliberate decision


CONTROL_TEXT = st.lists(st.sampled_from(["a", "ü", " ", "\r", "\n", "\r\n", "\x00", "\t", ":", "Bcc: x@evil.ch",
                                         "\u2028", "<", "@", ",", '"']), max_size=20).map("".join)


@settings_(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=CONTROL_TEXT, subject=CONTROL_TEXT)
def test_no_name_or_subject_can_add_a_header(app, name, subject):
    """Header injection: whatever a name or subject holds, the built message has one To, one Subject, no Bcc."""
    OutboxMessage.delete().execute()
    message, _ = enqueue(ACTOR, "other", [(name, "ida@gemeinde.ch")], subject, "Text", dedupe_key="h")
    built = mail_sender.build_email(message, MailSettings.from_config(app.config)).message().as_bytes()
    parsed = email.message_from_bytes(built, policy=policy.default)
    assert parsed.get_all("To") and len(parsed.get_all("To")) == 1 and len(parsed.get_all("Subject")) == 1
    assert parsed["Bcc"] is None and parsed["To"].addresses[0].addr_spec == "ida@gemeinde.ch"
    head = built.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    assert all(line[:1] in (b" ", b"\t") or b":" in line for line in head.splitlines())


def test_a_bad_mail_port_stops_the_start_with_a_german_line(monkeypatch, tmp_path):
    monkeypatch.setenv("MAIL_PORT", "25a")
    with pytest.raises(StartupError, match="MAIL_PORT='25a' ist keine ganze Zahl"):
        build_config(str(tmp_path))
