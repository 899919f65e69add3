"""Deliver the outbox (issue 15): one message at a time, claimed in its own committed transaction.

The life of a message: `queued` → claim (`sending`, committed before SMTP is spoken) → SMTP →
`sent` (committed after the server said 250). A refused or unreachable server puts the message back
to `queued` with the error and an exponential back-off (BACKOFF); after MAX_ATTEMPTS it is `failed`.

At most once, automatically: a claim is taken by exactly one worker (PostgreSQL `FOR UPDATE SKIP
LOCKED`, SQLite one compare-and-set UPDATE), and a message left in `sending` (the process died between
send and mark) is never picked up again by the sender — after STALE_AFTER it shows on the Postausgang
as "Versand unterbrochen – bitte prüfen" and an admin resends it deliberately. Its Message-ID is
derived from the dedupe key, so a receiving system can recognise such a second copy.

Without MAIL_SERVER (development) the same MIME message is written to `MAIL_DIR/<id>-<kind>.eml`.
"""
import hashlib
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from pathlib import Path

from flask_mailman import EmailMessage
from flask_mailman.message import sanitize_address
from peewee import PostgresqlDatabase

from extensions import mail
from models import MESSAGE_KINDS, OutboxAttachment, OutboxMessage, db, utcnow

from .audit import Actor, record
from .outbox import clean_recipients, header_safe, recipients_of

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=8))
MAX_ATTEMPTS = len(BACKOFF) + 1  # the sixth refusal ends as `failed`
STALE_AFTER = timedelta(minutes=15)  # a claim older than this belongs to a process that died
ERROR_LIMIT = 1000
SENDER_ACTOR = Actor.cli("mail send")


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: int
    directory: Path

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        return cls(server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), use_tls=bool(config["MAIL_USE_TLS"]),
                   use_ssl=bool(config["MAIL_USE_SSL"]), username=config["MAIL_USERNAME"],
                   password=config["MAIL_PASSWORD"], sender=header_safe(config["MAIL_FROM"]),
                   timeout=int(config["MAIL_TIMEOUT"]), directory=Path(config["MAIL_DIR"]))

    def describe(self) -> str:
        """Where mail goes, in one German line (printed by `make run` and `mail send`)."""
        if not self.server:
            return f"E-Mails werden nicht versandt, sondern als .eml-Dateien in {self.directory}/ abgelegt " \
                   "(MAIL_SERVER nicht gesetzt)."
        security = " (SSL)" if self.use_ssl else " (STARTTLS)" if self.use_tls else ""
        return f"E-Mails gehen über den SMTP-Server {self.server}:{self.port}{security}, Absender {self.sender}."


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    stopped: str = ""  # why the batch ended early (server unreachable)

    def summary(self) -> str:
        text = f"{self.sent} versandt, {self.retried} später erneut versucht, {self.failed} fehlgeschlagen."
        return f"{text} Abgebrochen: {self.stopped}" if self.stopped else text


class _Unreachable(Exception):
    """The server could not be reached: the rest of the batch would fail the same way."""


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID for every delivery of one cause (its dedupe key): receivers can drop a resent copy."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "start-integration.invalid"
    digest = hashlib.sha256(message.dedupe_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def is_interrupted(message: OutboxMessage, now: datetime | None = None) -> bool:
    """`sending` for longer than STALE_AFTER: the sender died between send and mark (maybe delivered)."""
    now = now or utcnow()
    return message.status == "sending" and message.claimed_at is not None and message.claimed_at < now - STALE_AFTER


def interrupted_count(now: datetime | None = None) -> int:
    now = now or utcnow()
    return OutboxMessage.select().where((OutboxMessage.status == "sending")
                                        & (OutboxMessage.claimed_at < now - STALE_AFTER)).count()


def build_email(message: OutboxMessage, settings: MailSettings, connection=None) -> EmailMessage:
    """The MIME message; names and subject are one header-safe line, addresses checked again."""
    to = [formataddr((name, address)) for name, address in clean_recipients(recipients_of(message))]
    email = EmailMessage(subject=header_safe(message.subject), body=message.body, from_email=settings.sender, to=to,
                         headers={"Message-ID": message_id(message, settings.sender)}, connection=connection)
    for attachment in OutboxAttachment.select().where(OutboxAttachment.message == message.id).order_by(
            OutboxAttachment.id):
        email.attach(header_safe(attachment.filename), bytes(attachment.content), attachment.mimetype)
    return email


def claim_next(worker: str, now: datetime) -> OutboxMessage | None:
    """Take one due message for `worker` in a committed transaction, or None; never the same one twice."""
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    due = (OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= now)
    with db.atomic():
        if isinstance(db.obj, PostgresqlDatabase):
            row = (OutboxMessage.select(OutboxMessage.id).where(due)
                   .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
                   .for_update("FOR UPDATE SKIP LOCKED").first())
            if row is None:
                return None
            target = OutboxMessage.id == row.id
        else:  # SQLite: one statement, so the write lock is held from the choice to the update
            subquery = (OutboxMessage.select(OutboxMessage.id).where(due)
                        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
            target = OutboxMessage.id == subquery
        claimed = (OutboxMessage.update(status="sending", claimed_at=now, claimed_by=token,
                                        attempts=OutboxMessage.attempts + 1)
                   .where(target & (OutboxMessage.status == "queued")).execute())
    if not claimed:
        return None
    return OutboxMessage.get((OutboxMessage.claimed_by == token) & (OutboxMessage.status == "sending"))


def _mark_sent(message: OutboxMessage, now: datetime, actor: Actor, where: str) -> None:
    with db.atomic():
        (OutboxMessage.update(status="sent", sent_at=now, last_error="")
         .where((OutboxMessage.id == message.id) & (OutboxMessage.claimed_by == message.claimed_by)).execute())
        addresses = ", ".join(address for _name, address in recipients_of(message))
        record(actor, "send", message, reason=f"{MESSAGE_KINDS[message.kind]} an {addresses}{where}: "
                                              f"{message.subject}")


def _mark_refused(message: OutboxMessage, now: datetime, actor: Actor, error: str) -> str:
    """Back to the queue with a back-off, or `failed` after MAX_ATTEMPTS; returns the new status."""
    error = header_safe(error)[:ERROR_LIMIT] or "Unbekannter Fehler"
    status = "failed" if message.attempts >= MAX_ATTEMPTS else "queued"
    delay = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    with db.atomic():
        (OutboxMessage.update(status=status, last_error=error, next_attempt_at=now + delay, claimed_by="")
         .where((OutboxMessage.id == message.id) & (OutboxMessage.claimed_by == message.claimed_by)).execute())
        verdict = "endgültig fehlgeschlagen" if status == "failed" else \
            f"neuer Versuch ab {now + delay:%d.%m.%Y %H:%M} UTC"
        record(actor, "send_failed", message,
               reason=f"Versuch {message.attempts}: {error} – {verdict}")
    return status


def _mark_failed(message: OutboxMessage, now: datetime, actor: Actor, error: str) -> None:
    """A message that can never be sent as it is (no retry): `failed`, shown on the Postausgang."""
    error = header_safe(error)[:ERROR_LIMIT]
    with db.atomic():
        (OutboxMessage.update(status="failed", last_error=error, claimed_by="")
         .where((OutboxMessage.id == message.id) & (OutboxMessage.claimed_by == message.claimed_by)).execute())
        record(actor, "send_failed", message, reason=f"{error} – endgültig fehlgeschlagen")


def _write_eml(email: EmailMessage, message: OutboxMessage, settings: MailSettings) -> Path:
    settings.directory.mkdir(parents=True, exist_ok=True)
    path = settings.directory / f"{message.id}-{message.kind}.eml"
    partial = path.with_suffix(".eml.tmp")
    partial.write_bytes(email.message().as_bytes())
    os.replace(partial, path)  # a reader never sees half a file
    return path


def _deliver(connection, email: EmailMessage) -> None:
    try:
        if connection.connection is None:
            connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        raise _Unreachable(f"SMTP-Server nicht erreichbar: {exc}") from exc
    try:
        if connection.send_messages([email]) != 1:
            raise smtplib.SMTPException("keine Empfänger")
    except smtplib.SMTPServerDisconnected as exc:
        _drop(connection)
        raise _Unreachable(f"Verbindung zum SMTP-Server verloren: {exc}") from exc
    except smtplib.SMTPException:
        raise  # a refusal (SMTPException is an OSError: keep it apart from network errors)
    except OSError as exc:
        _drop(connection)
        raise _Unreachable(f"Verbindung zum SMTP-Server verloren: {exc}") from exc


def _drop(connection) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException):
        connection.connection = None


def send_pending(settings: MailSettings, *, limit: int | None = None, worker: str | None = None,
                 now: datetime | None = None, actor: Actor = SENDER_ACTOR) -> SendResult:
    """Deliver due messages one by one until none is left (or `limit`); safe with several workers."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    result = SendResult()
    connection = None
    if settings.server:
        connection = mail.get_connection(
            backend="smtp", host=settings.server, port=settings.port, username=settings.username or "",
            password=settings.password or "", use_tls=settings.use_tls, use_ssl=settings.use_ssl,
            timeout=settings.timeout)
    try:
        while limit is None or result.sent + result.retried + result.failed < limit:
            moment = now or utcnow()
            message = claim_next(worker, moment)
            if message is None:
                break
            try:
                email = build_email(message, settings, connection)
                if not email.to:
                    raise ValueError("keine gültige Adresse")
                for address in [email.from_email, *email.to]:  # what the SMTP backend checks when sending
                    sanitize_address(address, email.encoding or "utf-8")
            except (ValueError, TypeError) as exc:
                _mark_failed(message, moment, actor, f"Nachricht nicht erstellt (Adresse?): {exc}")
                result.failed += 1
                continue
            if connection is None:
                try:
                    path = _write_eml(email, message, settings)
                except OSError as exc:
                    _count(result, _mark_refused(message, moment, actor, f"Datei nicht geschrieben: {exc}"))
                    result.stopped = str(exc)
                    break
                _mark_sent(message, moment, actor, f" (als Datei {path.name})")
                result.sent += 1
                continue
            try:
                _deliver(connection, email)
            except _Unreachable as exc:
                _count(result, _mark_refused(message, moment, actor, str(exc)))
                result.stopped = str(exc)
                break
            except smtplib.SMTPException as exc:  # refused by the server (4xx/5xx)
                _count(result, _mark_refused(message, moment, actor, _smtp_error(exc)))
                continue
            _mark_sent(message, now or utcnow(), actor, "")
            result.sent += 1
    finally:
        if connection is not None and connection.connection is not None:
            connection.close()
    return result


def _count(result: SendResult, status: str) -> None:
    if status == "failed":
        result.failed += 1
    else:
        result.retried += 1


def _smtp_error(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "Empfänger abgelehnt: " + "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"SMTP-Server lehnt ab: {exc.smtp_code} {reply}"
    return f"SMTP-Fehler: {exc}"
