"""The outbox: every message the application sends, written in the transaction of its cause (issue 15).

A message is delivered later by the sender (`flask --app app mail send`); its dedupe key is unique,
so the same cause (one reminder stage of one item, one booked run for one payee, …) never gives a
second message, however often the cause is replayed.
"""
from peewee import BlobField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .municipality import Municipality
from .user import User, utcnow

# queued → sending → sent; a refused delivery goes back to queued with the error until the attempts
# run out (failed); a message without any address waits as no_address until someone resends it.
OUTBOX_STATES = {
    "queued": "in Warteschlange",
    "sending": "wird versandt",
    "sent": "versandt",
    "failed": "fehlgeschlagen",
    "no_address": "keine Adresse",
}

MESSAGE_KINDS = {
    "reminder_due": "Erinnerung vor Fristablauf",
    "reminder_overdue": "Mahnung nach Fristablauf",
    "returned": "Formular zurückgewiesen",
    "accepted": "Formular akzeptiert",
    "payout_notice": "Auszahlungsanzeige",
    "anhang1": "Anhang 1: Beiträge des Jahres",
    "invoice": "Rechnung",
    "evidence_request": "Belege angefordert (Stichprobe)",
    "other": "Mitteilung",
}


def _in(column: str, values) -> Check:
    return Check(f"{column} IN ('" + "','".join(values) + "')")


class OutboxMessage(BaseModel):
    kind = TextField(constraints=[_in("kind", MESSAGE_KINDS)])
    dedupe_key = TextField(unique=True)
    municipality = ForeignKeyField(Municipality, null=True, backref="messages", on_delete="RESTRICT")
    recipients_json = TextField(default="[]")  # [["Name", "address"], …]; never CR/LF in either
    subject = TextField()
    body = TextField()
    status = TextField(default="queued", index=True, constraints=[_in("status", OUTBOX_STATES)])
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(default="")
    claimed_at = DateTimeField(null=True)
    claimed_by = TextField(default="")
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    created_by = TextField(default="")  # the actor label of the cause, as in the audit log
    user = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")

    def __str__(self):
        return f"{MESSAGE_KINDS.get(self.kind, self.kind)}: {self.subject}"


class OutboxAttachment(BaseModel):
    message = ForeignKeyField(OutboxMessage, backref="attachments", on_delete="CASCADE")
    filename = TextField()
    mimetype = TextField()
    content = BlobField()
