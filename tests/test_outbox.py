"""The outbox is written in the transaction of its cause, once per dedupe key (issue 15)."""
import json

import pytest

from models import AuditEntry, OutboxAttachment, OutboxMessage, db
from services.audit import Actor
from services.outbox import Attachment, enqueue, recipients_of

ACTOR = Actor.cli("test")


def test_enqueue_writes_once_per_dedupe_key(app, make_municipality):
    muni = make_municipality()
    first, created = enqueue(ACTOR, "other", [("Anna Muster", "anna@example.ch")], "Betreff", "Text",
                             dedupe_key="k1", municipality=muni,
                             attachments=[Attachment("a.pdf", "application/pdf", b"%PDF-1.4")])
    again, created_again = enqueue(ACTOR, "other", [("Anna Muster", "anna@example.ch")], "Anders", "Anders",
                                   dedupe_key="k1", municipality=muni)
    assert (created, created_again) == (True, False)
    assert again.id == first.id and OutboxMessage.select().count() == 1
    assert OutboxAttachment.get().content == b"%PDF-1.4"
    assert AuditEntry.select().where(AuditEntry.model == "OutboxMessage", AuditEntry.action == "queue").count() == 1


def test_enqueue_rolls_back_with_its_cause(app):
    with pytest.raises(RuntimeError):
        with db.atomic():
            enqueue(ACTOR, "other", [("A", "a@example.ch")], "Betreff", "Text", dedupe_key="k2")
            raise RuntimeError("cause failed")
    assert OutboxMessage.select().count() == 0


def test_enqueue_without_valid_address_is_listed_as_no_address(app):
    message, _ = enqueue(ACTOR, "other", [("Ohne", ""), ("Falsch", "keine-adresse")], "Betreff", "Text",
                         dedupe_key="k3")
    assert message.status == "no_address" and message.last_error == "keine Adresse"
    assert recipients_of(message) == []


def test_enqueue_makes_names_and_subject_header_safe(app):
    message, _ = enqueue(ACTOR, "other", [("Eva\r\nBcc: evil@example.com", "eva@example.ch"),
                                          ("Injected", "x@example.ch\r\nBcc: evil@example.com")],
                         "Frist\r\nBcc: evil@example.com", "Text", dedupe_key="k4")
    assert "\n" not in message.subject and "\r" not in message.subject
    assert json.loads(message.recipients_json) == [["Eva Bcc: evil@example.com", "eva@example.ch"]]
