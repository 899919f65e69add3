"""Write messages to the outbox inside the caller's transaction (issue 15).

`enqueue` is the only way a message comes into being: the caller passes the dedupe key of its cause,
so replaying the cause (a second reminder run on the same day, a retried booking) writes nothing new.
Delivery is the sender's job (services/mail_sender.py), never the cause's.
"""
import json
import re
from dataclasses import dataclass

from core.text import without_rule_ids
from models import MESSAGE_KINDS, OutboxAttachment, OutboxMessage, db

from .audit import Actor, record
from .validation import email_problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    content: bytes


def header_safe(text: str) -> str:
    """One line without control characters: CR/LF in a name or subject can never start a new header."""
    return _CONTROL.sub(" ", text or "").strip()


def clean_recipients(recipients) -> list[tuple[str, str]]:
    """(name, address) pairs with a valid address, each address once; names made header-safe."""
    seen, result = set(), []
    for name, address in recipients:
        address = (address or "").strip()
        if not address or _CONTROL.search(address) or email_problem(address) or address.lower() in seen:
            continue
        seen.add(address.lower())
        result.append((header_safe(name), address))
    return result


def enqueue(actor: Actor, kind: str, recipients, subject: str, body: str, *, dedupe_key: str,
            municipality=None, attachments=(), user=None) -> tuple[OutboxMessage, bool]:
    """Queue a message unless one with the same dedupe key exists; returns (message, created).

    Call it inside the transaction of the cause. Recipients without a usable address leave the
    message as `no_address`, listed on the Postausgang page, so that nothing disappears silently.
    """
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"Unbekannte Nachrichtenart: {kind}")
    with db.atomic():
        existing = OutboxMessage.get_or_none(OutboxMessage.dedupe_key == dedupe_key)
        if existing is not None:
            return existing, False
        clean = clean_recipients(recipients)
        message = OutboxMessage.create(
            kind=kind, dedupe_key=dedupe_key, municipality=municipality,
            recipients_json=json.dumps(clean, ensure_ascii=False), subject=header_safe(without_rule_ids(subject)),
            body=without_rule_ids(body),
            status="queued" if clean else "no_address", last_error="" if clean else "keine Adresse",
            created_by=actor.label, user=user)
        for attachment in attachments:
            OutboxAttachment.create(message=message, filename=header_safe(attachment.filename),
                                    mimetype=attachment.mimetype, content=attachment.content)
        record(actor, "queue", message, reason=f"{MESSAGE_KINDS[kind]}: {message.subject}")
    return message, True


def recipients_of(message: OutboxMessage) -> list[tuple[str, str]]:
    return [tuple(pair) for pair in json.loads(message.recipients_json)]


WITHDRAWN = "Zurückgezogen: "


def withdraw(actor: Actor, dedupe_key: str, reason: str) -> bool:
    """Stop a message whose cause no longer holds (e.g. an invoice paid or cancelled) unless it is out already.

    Inside the caller's transaction; the message becomes `failed` with a reason that the Postausgang will not
    resend. A message being sent right now cannot be stopped (it is shown as such)."""
    message = OutboxMessage.get_or_none(OutboxMessage.dedupe_key == dedupe_key)
    if message is None:
        return False
    changed = (OutboxMessage.update(status="failed", last_error=WITHDRAWN + reason, claimed_by="")
               .where((OutboxMessage.id == message.id)
                      & OutboxMessage.status.in_(["queued", "no_address", "failed"])).execute())
    if changed:
        record(actor, "withdraw", message, reason=WITHDRAWN + reason)
    return bool(changed)
