"""Findings of the review of issues 15, 16 and 20, each reproduced and fixed (session 5)."""
import re
from datetime import date
from decimal import Decimal

import pyotp
import pytest
from conftest import PASSWORD, run_concurrently
from test_invoices import invoiced  # noqa: F401 - fixture used by name
from test_samples import _item_of, requested, world  # noqa: F401

from models import Clawback, FormVersion, OutboxMessage, PayoutRun, Report, RunPayee, SampleItem, Status, User
from models.schema import downgrade_to, upgrade
from services import invoices, payment_files, postausgang, samples, submissions
from services.audit import Actor
from services.errors import DomainError
from services.mail_sender import MailSettings, send_pending
from services.outbox import enqueue
from services.validation import email_problem

# --- money -------------------------------------------------------------------------------------------

def test_r24_two_admins_accepting_one_proposal_make_one_clawback(app, world, requested):  # noqa: F811
    """A read-then-save let both admins through on PostgreSQL: two clawbacks for one Beanstandung."""
    item = _item_of(world, "c", requested)
    samples.judge(world["auditor"], item.id, "objection", "1000.00", "Dolmetscheinsatz ohne Beleg")
    outcomes = run_concurrently(app, [lambda: samples.decide_proposal(world["admin"], item.id, True)] * 2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert Clawback.select().count() == 1 and SampleItem.get_by_id(item.id).clawback_id is not None


def test_r24_a_judgement_does_not_overwrite_a_decided_proposal(world, requested):  # noqa: F811
    item = _item_of(world, "c", requested)
    samples.judge(world["auditor"], item.id, "objection", "80.00", "ohne Beleg")
    samples.decide_proposal(world["admin"], item.id, True)
    with pytest.raises(DomainError, match="entschieden"):
        samples.judge(world["auditor"], item.id, "ok")
    assert SampleItem.get_by_id(item.id).outcome == "objection"


def test_r16_a_cancelled_or_paid_invoice_is_not_mailed_any_more(app, invoiced):  # noqa: F811
    """The bill waiting without address was resent after cancelling: a QR-bill for a cancelled claim."""
    message = OutboxMessage.get(OutboxMessage.kind == "invoice")
    OutboxMessage.update(status="no_address", recipients_json="[]").where(OutboxMessage.id == message.id).execute()
    invoices.cancel(invoiced["accountant"], invoiced["invoice"].id, "Erlass", today=date(2026, 4, 10))
    assert OutboxMessage.get_by_id(message.id).status == "failed"
    with pytest.raises(DomainError, match="zurückgezogen"):
        postausgang.resend(invoiced["admin"], message.id)


def test_pain001_refuses_a_frozen_payee_without_lines(app, make_municipality, make_user):
    """The check ran one way only: a frozen payee without payable lines would have been paid."""
    admin, accountant = make_user("admin"), make_user("accountant")
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    run = PayoutRun.create(payout_date=date(2026, 3, 31), status="approved", prepared_by=admin)
    RunPayee.create(run=run, payee=muni, name="Solothurn", iban=muni.iban, creditor_number="K-1",
                    amount=Decimal("500.00"))
    with pytest.raises(DomainError, match="passen nicht"):
        payment_files.pain001(run.id, accountant)


def test_production_never_uses_the_demo_account(app, invoiced, monkeypatch):  # noqa: F811
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(DomainError, match="Konto des Kantons ist nicht eingerichtet"):
        invoices.pdf(invoiced["accountant"], invoiced["invoice"].id)


# --- second factor -----------------------------------------------------------------------------------

def test_a_password_alone_never_learns_the_secret_that_is_enrolled(app, make_user):
    """The unconfirmed secret was stored and shown again: the password-only attacker kept a working app."""
    user = make_user("accountant", second_factor=False)
    attacker, victim = app.test_client(), app.test_client()
    for client in (attacker, victim):
        client.post("/login", data={"email": user.email, "password": PASSWORD})
    seen = re.search(r'aria-label="Schlüssel">([A-Z2-7]+)<',
                     attacker.get("/login/einrichten").get_data(as_text=True)).group(1)
    own = re.search(r'aria-label="Schlüssel">([A-Z2-7]+)<',
                    victim.get("/login/einrichten").get_data(as_text=True)).group(1)
    assert seen != own and User.get_by_id(user.id).totp_secret is None  # nothing stored before a code
    victim.post("/login/einrichten", data={"code": pyotp.TOTP(own).now()})
    assert User.get_by_id(user.id).totp_secret == own
    attacker.post("/login", data={"email": user.email, "password": PASSWORD})
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    attacker.post("/login/code", data={"code": pyotp.TOTP(seen).now()})
    assert attacker.get("/konto/zweiter-faktor").status_code == 302  # not logged in


@pytest.mark.parametrize("code", ["²²²²²²", "١٢٣٤٥٦", "１２３４５６", "12345６"])
def test_unicode_digits_are_no_code_and_no_500(client, make_user, code):
    user = make_user("auditor")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": code}).status_code == 200
    fresh = make_user("admin", second_factor=False)
    client.post("/login", data={"email": fresh.email, "password": PASSWORD})
    assert client.post("/login/einrichten", data={"code": code}).status_code == 200


def test_migration_11_ends_password_only_sessions_of_the_money_roles(app, make_user):
    admin, officer = make_user("admin"), make_user("officer")
    downgrade_to(10)
    before = {u.id: u.session_version for u in User.select(User.id, User.session_version)}
    upgrade()
    after = {u.id: u.session_version for u in User.select(User.id, User.session_version)}
    assert after[admin.id] == before[admin.id] + 1 and after[officer.id] == before[officer.id]


# --- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/fristen/?jahr=²", "/admin/fristen/?jahr=" + "9" * 5000])
def test_deadline_filter_with_odd_years_gives_no_500(client, auth, path):
    auth.login("admin")
    assert client.get(path).status_code == 200


def test_sample_forms_with_huge_numbers_give_german_messages(client, auth, world, requested):  # noqa: F811
    auth.login(user=world["auditor"])
    for data in ({"year": "9" * 5000, "method": "count", "value": "1"},
                 {"year": "2025", "method": "count", "value": "9" * 5000}):
        assert client.post("/stichproben", data=data).status_code in (200, 400)
    item = _item_of(world, "a", requested)
    response = client.post(f"/stichproben/posten/{item.id}", data={"outcome": "objection", "amount": "1E+999999",
                                                                   "text": "x"})
    assert response.status_code in (200, 400) and "Betrag" in response.get_data(as_text=True)


def test_a_confirmation_with_a_5000_character_remark_prints_in_full(app, client, auth, make_municipality, make_user):
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    officer = make_user("officer", municipality=muni)
    report = Report(municipality=muni, year=2025, half=1, status=Status.DRAFT,
                    form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    report.values = {"first_info_interviews": 1, "remarks": ("Bemerkung " * 500).strip()}
    report.save()
    submissions.submit(officer, report, report.version, today=date(2025, 7, 1))
    auth.login(user=officer)
    response = client.get(f"/gemeinden/{muni.id}/reporting/2025/1/bestaetigung.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.parametrize("address", ["a;b@c.ch", "x<y@c.ch", "ib@gemeinde.ch>", "a b@c.ch", "a@b"])
def test_addresses_the_mail_library_refuses_are_refused_at_entry(address):
    assert email_problem(address) is not None


def test_a_stored_address_the_sender_cannot_use_fails_that_message_only(app, tmp_path):
    with app.app_context():
        bad, _ = enqueue(Actor.cli("t"), "other", [("X", "ok@gemeinde.ch")], "Eins", "Text", dedupe_key="bad")
        OutboxMessage.update(recipients_json='[["X", "a;b@c.ch"]]').where(OutboxMessage.id == bad.id).execute()
        good, _ = enqueue(Actor.cli("t"), "other", [("Y", "y@gemeinde.ch")], "Zwei", "Text", dedupe_key="good")
        app.config.update(MAIL_SERVER="", MAIL_DIR=str(tmp_path / "mail"))
        result = send_pending(MailSettings.from_config(app.config))
    assert (result.sent, result.failed) == (1, 1)
    assert OutboxMessage.get_by_id(bad.id).status == "failed" and OutboxMessage.get_by_id(good.id).status == "sent"
