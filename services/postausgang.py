"""Read models and the one write of the Postausgang page and the dispatch record (issue 15).

The page shows every message with the state an admin acts on: a `sending` claim older than
`mail_sender.STALE_AFTER` is shown as interrupted ("Versand unterbrochen – bitte prüfen"); failed,
no-address and interrupted messages can be resent deliberately (audited).
"""
import json
from dataclasses import dataclass
from datetime import date, datetime

from auth.policy import require
from models import MESSAGE_KINDS, Correspondent, Municipality, OutboxAttachment, OutboxMessage, db, utcnow

from . import paging
from .audit import Actor, record
from .errors import DomainError
from .mail_sender import STALE_AFTER, is_interrupted
from .outbox import WITHDRAWN, clean_recipients, recipients_of
from .recipients import current_addresses

FILTERS = {
    "queued": "in Warteschlange",
    "sent": "versandt",
    "failed": "fehlgeschlagen",
    "no_address": "keine Adresse",
    "interrupted": "unterbrochen",
}
LABELS = {**FILTERS, "sending": "wird versandt", "interrupted": "Versand unterbrochen – bitte prüfen"}
RESENDABLE = ("failed", "no_address", "interrupted")
PER_PAGE = 100


@dataclass(frozen=True)
class Row:
    message: OutboxMessage
    state: str  # a key of LABELS
    recipients: list[tuple[str, str]]
    municipality: Municipality | None

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def kind_label(self) -> str:
        return MESSAGE_KINDS.get(self.message.kind, self.message.kind)

    @property
    def resendable(self) -> bool:
        return self.state in RESENDABLE


def state_of(message: OutboxMessage, now: datetime) -> str:
    return "interrupted" if is_interrupted(message, now) else message.status


def _condition(state: str | None, now: datetime):
    stale = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - STALE_AFTER)
    if state == "interrupted":
        return stale
    if state in FILTERS:
        return OutboxMessage.status == state
    return None


def _rows(messages, now: datetime) -> list[Row]:
    ids = {m.municipality_id for m in messages} - {None}
    munis = {m.id: m for m in Municipality.select().where(Municipality.id.in_(list(ids)))} if ids else {}
    return [Row(m, state_of(m, now), recipients_of(m), munis.get(m.municipality_id)) for m in messages]


def outbox_page(user, state: str | None, page: int, now: datetime | None = None) -> tuple[paging.Page, dict]:
    """One page of the Postausgang (newest first) and the count per filter."""
    require(user, "outbox.read")
    now = now or utcnow()
    query = OutboxMessage.select().order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    condition = _condition(state, now)
    if condition is not None:
        query = query.where(condition)
    listed = paging.of_query(query, query.count(), page, PER_PAGE)
    counts = {key: OutboxMessage.select().where(_condition(key, now)).count() for key in FILTERS}
    return paging.Page(_rows(listed.items, now), listed.page, listed.pages, listed.total, listed.per_page), counts


def message_detail(user, message_id: int, now: datetime | None = None) -> tuple[Row, list[OutboxAttachment]]:
    require(user, "outbox.read")
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    if message is None:
        raise LookupError(message_id)
    attachments = list(OutboxAttachment.select(OutboxAttachment.id, OutboxAttachment.filename,
                                               OutboxAttachment.mimetype)
                       .where(OutboxAttachment.message == message.id).order_by(OutboxAttachment.id))
    return _rows([message], now or utcnow())[0], attachments


def attachment(user, message_id: int, attachment_id: int) -> OutboxAttachment:
    require(user, "outbox.read")
    found = OutboxAttachment.get_or_none((OutboxAttachment.id == attachment_id)
                                         & (OutboxAttachment.message == message_id))
    if found is None:
        raise LookupError(attachment_id)
    return found


def resend(user, message_id: int, now: datetime | None = None, today: date | None = None) -> str:
    """Queue a failed, address-less or interrupted message again (audited); returns a German message."""
    require(user, "outbox.resend")
    now = now or utcnow()
    with db.atomic():
        message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
        if message is None:
            raise LookupError(message_id)
        state = state_of(message, now)
        if state not in RESENDABLE:
            raise DomainError(f"Diese Nachricht ist «{LABELS[state]}» und kann nicht erneut gesendet werden.")
        if message.last_error.startswith(WITHDRAWN):  # e.g. the invoice was paid or cancelled meanwhile
            raise DomainError(f"Diese Nachricht wurde zurückgezogen ({message.last_error[len(WITHDRAWN):]}) und "
                              "wird nicht mehr gesendet.")
        recipients = recipients_of(message)
        if state == "no_address" and message.municipality_id is not None:
            recipients = clean_recipients(current_addresses(Municipality.get_by_id(message.municipality_id),
                                                            message.kind, today or date.today()))
        if not recipients:
            raise DomainError("Weiterhin keine gültige Adresse: bitte zuerst die Adresse der Gemeinde "
                              "(Integrationsbeauftragte, Korrespondenzperson, Finanzverwaltung) erfassen.")
        changed = (OutboxMessage.update(status="queued", attempts=0, next_attempt_at=now, last_error="",
                                        claimed_by="", claimed_at=None,
                                        recipients_json=json.dumps(recipients, ensure_ascii=False))
                   .where((OutboxMessage.id == message.id) & (OutboxMessage.status == message.status)
                          & (OutboxMessage.claimed_by == message.claimed_by)).execute())
        if not changed:
            raise DomainError("Die Nachricht wurde inzwischen verändert; bitte die Seite neu laden.")
        record(Actor.of(user), "resend", message, before={"status": state, "recipients": recipients_of(message)},
               after={"status": "queued", "recipients": recipients},
               reason=f"Erneut senden: {message.subject}")
    return f"Nachricht «{message.subject}» ist wieder in der Warteschlange."


def dispatch_record(user, municipality: Municipality, limit: int = 200, now: datetime | None = None) -> list[Row]:
    """What was sent to whom and when for one municipality (R12: the caller fetched it with its check)."""
    require(user, "municipality.read", municipality)
    messages = list(OutboxMessage.select().where(OutboxMessage.municipality == municipality.id)
                    .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return _rows(messages, now or utcnow())


def correspondent_history(user, municipality: Municipality) -> list[Correspondent]:
    """§4.5.1: the municipality's correspondents, newest period first (the history stays)."""
    require(user, "municipality.read", municipality)
    return list(Correspondent.select().where(Correspondent.municipality == municipality.id)
                .order_by(Correspondent.valid_from.desc()))
