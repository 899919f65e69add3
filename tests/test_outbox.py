"""The outbox is written in the transaction of its cause, once per dedupe key (issue 15)."""
import json
from datetime import date

import pytest

from models import AuditEntry, OutboxAttachment, OutboxMessage, db
from services.audit import Actor
from services.outbox import Attachment, enqueue, recipients_of
from services.recipients import municipality_addresses

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
    assert bytes(OutboxAttachment.get().content) == b"%PDF-1.4"  # memoryview on PostgreSQL
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


def test_r12_municipality_addresses_are_its_officers_and_finance_office(app, make_municipality, make_user):
    muni = make_municipality(finance_email="finanzen@gemeinde.ch")
    officer = make_user("officer", municipality=muni, name="Ida Beispiel")
    make_user("officer")  # another municipality's officer is not addressed
    addresses = municipality_addresses([muni], date(2025, 1, 1), finance=True)
    assert addresses == {muni.id: [("Ida Beispiel", officer.email),
                                   (f"Finanzverwaltung {muni.name}", "finanzen@gemeinde.ch")]}
    assert municipality_addresses([muni], date(2025, 1, 1)) == {muni.id: [("Ida Beispiel", officer.email)]}
