"""Issue 15: the PDF letters read back with pypdf — payout notice per payee (queued when a run is booked),
Anhang 1 per municipality and year (R25, `letters anhang1`), confirmation of a submitted form (R22)."""
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import approve, ensure_go_live, sample_iban
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_letter import pdf_text

from core.formatting import chf, iban_masked, number, swiss_time
from core.text import without_rule_ids
from models import (
    AuditEntry,
    ForeignPopulation,
    FormVersion,
    LedgerEntry,
    Municipality,
    OutboxMessage,
    PayoutLine,
    Report,
    RunPayee,
    SelfDeclaration,
    Tariff,
    db,
)
from services import exports, letters, payout_runs, submissions
from services.audit import Actor
from services.errors import DomainError

TODAY = date(2026, 11, 25)
IBAN = "CH9300762011623852957"


def flat(text: str) -> str:
    """pypdf text with the line breaks of wrapped paragraphs and table cells joined."""
    return " ".join(text.split())


def _town(make_municipality, make_user, bfs, name, count, finance=None, officer=True, report=(8, 3, 2, 1)):
    muni = make_municipality(bfs_nr=bfs, name=name, organisation_settled_on=date(2017, 1, 1), iban=IBAN,
                             finance_email=finance)
    user = make_user("officer", municipality=muni, name=f"IB {name}") if officer else None
    ForeignPopulation.create(municipality=muni, reference_date=date(2022, 12, 31), count=count)
    SelfDeclaration.create(municipality=muni, year=2024, status="accepted",
                           form_version=FormVersion.valid_on("self_declaration", date(2024, 1, 1)))
    if report:
        document = Report(municipality=muni, year=2023, half=2, status="accepted",
                          form_version=FormVersion.valid_on("report", date(2023, 7, 1)))
        document.values = dict(zip(("first_info_interviews", "first_info_interpreter", "integration_interviews",
                                    "integration_interpreter"), report))
        document.save()
    return muni, user


@pytest.fixture
def booked(app, make_municipality, make_user, make_contract):
    """Solothurn (finance office, a clawback), Grenchen leading a contract for Bettlach (paid to the lead, R13)."""
    admin, accountant = make_user("admin"), make_user("accountant")
    solothurn, ib_so = _town(make_municipality, make_user, 2601, "Solothurn", 1250, finance="finanzen@solothurn.ch")
    grenchen, ib_gr = _town(make_municipality, make_user, 2546, "Grenchen", 100)
    bettlach, _ = _town(make_municipality, make_user, 2543, "Bettlach", 40, officer=False, report=(2, 0, 0, 0))
    make_contract(grenchen, [bettlach], valid_from=date(2020, 1, 1))
    payout_runs.add_clawback(admin, 2601, Decimal("500.00"), "Doppelt abgerechnet", date(2024, 2, 1))
    ensure_go_live(date(2024, 3, 31))
    run = approve(accountant, payout_runs.prepare(admin, date(2024, 3, 31), TODAY))
    run = payout_runs.book(accountant, run.id, today=date(2024, 4, 15))
    return {"run": run, "admin": admin, "accountant": accountant, "solothurn": solothurn, "grenchen": grenchen,
            "bettlach": bettlach, "ib_so": ib_so, "ib_gr": ib_gr}


def _attachment(message: OutboxMessage) -> bytes:
    (attachment,) = list(message.attachments)
    assert attachment.mimetype == "application/pdf" and attachment.filename.endswith(".pdf")
    return bytes(attachment.content)


def test_iban_is_masked_on_notices():
    """Only country, check digits and the last four characters are shown (issue 15)."""
    assert iban_masked(IBAN) == "CH93 **** **** **** *295 7"
    assert iban_masked("CH93 0076 2011 6238 5295 7") == "CH93 **** **** **** *295 7"
    assert iban_masked(None) == "–" and iban_masked("CH93") == "–"


@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_masked_iban_keeps_only_country_check_digits_and_last_four(account):
    """Whatever the account, the hidden part never shows: same length, grouped by four (issue 15)."""
    iban = sample_iban(account)
    masked = iban_masked(iban)
    compact = masked.replace(" ", "")
    assert len(compact) == len(iban) and compact[:4] == iban[:4] and compact[-4:] == iban[-4:]
    assert set(compact[4:-4]) == {"*"} and all(len(group) == 4 for group in masked.split(" ")[:-1])


def test_booking_queues_one_notice_per_payee_with_the_run_figures(booked):
    """Issue 15 (R8–R16): booked → one notice per payee to its officers and finance office; the PDF shows every
    payable line, its sentence, the net total of the frozen payee, the value date and the IBAN masked."""
    run = booked["run"]
    payees = {p.payee_id: p for p in RunPayee.select().where(RunPayee.run == run.id)}
    messages = {m.municipality_id: m for m in OutboxMessage.select().where(OutboxMessage.kind == "payout_notice")}
    assert set(messages) == set(payees) == {booked["solothurn"].id, booked["grenchen"].id}  # Bettlach via its lead
    assert json.loads(messages[booked["solothurn"].id].recipients_json) == [
        ["IB Solothurn", booked["ib_so"].email], ["Finanzverwaltung Solothurn", "finanzen@solothurn.ch"]]
    assert json.loads(messages[booked["grenchen"].id].recipients_json) == [["IB Grenchen", booked["ib_gr"].email]]
    for payee_id, message in messages.items():
        assert message.status == "queued" and message.dedupe_key == f"payout_notice:run:{run.id}:payee:{payee_id}"
        # letterhead and footer of a page break may fall inside a wrapped sentence: read the body only
        text = re.sub(r"Kanton Solothurn, Amt für Gesellschaft und Soziales, Ambassadorenhof, 4509 Solothurn "
                      r"Seite \d+/\d+ Kanton Solothurn · Amt für Gesellschaft und Soziales · start.integration ", "",
                      flat(pdf_text(_attachment(message))))
        lines = list(PayoutLine.select().where((PayoutLine.run == run.id) & (PayoutLine.payee == payee_id)
                                               & (PayoutLine.status == "payable")))
        assert sum(line.amount for line in lines) == payees[payee_id].amount  # R11: total = sum of the lines
        assert f"Total {chf(payees[payee_id].amount)}" in text
        assert f"CHF {chf(payees[payee_id].amount)}" in message.body
        for line in lines:
            assert chf(line.amount) in text and flat(without_rule_ids(line.explanation)) in text
            credit = LedgerEntry.get_or_none(LedgerEntry.line == line.id)
            if credit is not None:  # the gross credited to the ledger is the line's own figure (R15)
                assert credit.amount == line.ledger_amount
        assert "Valuta 31.03.2024" in text and "Solothurn, 15.04.2024" in text
        assert "CH93 **** **** **** *295 7" in text and IBAN not in text and "0076" not in text
        assert IBAN not in message.body
    grenchen = flat(pdf_text(_attachment(messages[booked["grenchen"].id])))
    assert "2543 Bettlach" in grenchen and "Sie erhalten auch die Beiträge von 2543 Bettlach" in grenchen  # R13
    solothurn = flat(pdf_text(_attachment(messages[booked["solothurn"].id])))
    assert f"-{chf(Decimal('500.00'))}" in solothurn  # the clawback offset is a line of the notice (R16)
    queued = AuditEntry.select().where((AuditEntry.model == "OutboxMessage") & (AuditEntry.action == "queue"))
    assert queued.count() == 2  # each message audited in the booking's transaction


def test_booking_twice_or_replaying_the_notices_queues_nothing_new(booked):
    """The dedupe key per run and payee: a second booking is refused, a replay of the cause writes nothing."""
    run, before = booked["run"], OutboxMessage.select().count()
    with pytest.raises(DomainError, match="Nur freigegebene"):
        payout_runs.book(booked["accountant"], run.id)
    with db.atomic():
        assert letters.queue_payout_notices(Actor.cli("test"), run, date(2024, 5, 1)) == 0
    assert OutboxMessage.select().count() == before


def test_approval_queues_nothing_and_booking_on_the_run_page_queues_the_notices(app, client, auth,
                                                                              make_municipality, make_user):
    """Only the booking sends the notices (issue 15): approved → none; "Als verbucht markieren" → one per payee."""
    muni, _officer = _town(make_municipality, make_user, 2601, "Solothurn", 10, finance="fv@solothurn.ch")
    ensure_go_live(date(2024, 3, 31))
    accountant = make_user("accountant")
    run = approve(accountant, payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY))
    assert OutboxMessage.select().count() == 0
    auth.login(user=accountant)
    response = client.post(f"/runs/{run.id}/book", data={"version": str(run.version)})
    assert response.status_code == 302
    (message,) = list(OutboxMessage.select())
    assert (message.kind, message.municipality_id, message.status) == ("payout_notice", muni.id, "queued")
    assert "notice-pdf" in client.get(f"/runs/{run.id}").get_data(as_text=True)


def test_r12_notice_download_officer_sees_only_the_own_payee(client, auth, booked):
    """Officers: their own payee's notice of an approved/booked run; another payee's is 404, like lines (R12)."""
    run = booked["run"]
    url = f"/runs/{run.id}/auszahlungsanzeige/{{}}.pdf"
    auth.login(user=booked["ib_so"])
    own = client.get(url.format(booked["solothurn"].id))
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    assert "Auszahlungsanzeige_2024-03-31_2601.pdf" in own.headers["Content-Disposition"]
    assert "Einwohnergemeinde Solothurn" in pdf_text(own.data)
    foreign = client.get(url.format(booked["grenchen"].id))
    assert foreign.status_code == 404 and b"Grenchen" not in foreign.data
    history = client.get(f"/municipalities/{booked['solothurn'].id}/payouts").get_data(as_text=True)
    assert url.format(booked["solothurn"].id) in history
    auth.logout()
    auth.login(role="auditor")
    assert client.get(url.format(booked["grenchen"].id)).status_code == 200
    assert client.get(url.format(booked["bettlach"].id)).status_code == 404  # paid through its lead: no notice


def test_r12_officer_gets_no_notice_of_a_draft_run(app, client, auth, make_municipality, make_user):
    """A draft run is internal to the canton: the officer's own payee gets 404; the admin sees a marked preview."""
    muni, officer = _town(make_municipality, make_user, 2601, "Solothurn", 10)
    ensure_go_live(date(2024, 3, 31))
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    auth.login(user=officer)
    assert client.get(f"/runs/{run.id}/auszahlungsanzeige/{muni.id}.pdf").status_code == 404
    auth.logout()
    auth.login(role="admin")
    preview = client.get(f"/runs/{run.id}/auszahlungsanzeige/{muni.id}.pdf")
    assert preview.status_code == 200 and "ENTWURF" in pdf_text(preview.data)
    assert OutboxMessage.select().count() == 0  # nothing is sent before booking


def _anhang1_world(make_municipality, make_user):
    """Three municipalities valid in 2026 (Halten merged into Kriegstetten on 01.01.2026, R26), one abolished."""
    kriegstetten = make_municipality(bfs_nr=2525, name="Kriegstetten", finance_email="fv@kriegstetten.ch")
    halten = make_municipality(bfs_nr=2520, name="Halten", valid_to=date(2025, 12, 31), successor=kriegstetten)
    solothurn = make_municipality(bfs_nr=2601, name="Solothurn")
    make_municipality(bfs_nr=2999, name="Altort", valid_to=date(2020, 12, 31))
    nobody = make_municipality(bfs_nr=2546, name="Grenchen")  # no officer, no finance office
    officer = make_user("officer", municipality=solothurn, name="IB Solothurn")
    make_user("officer", municipality=kriegstetten, name="IB Kriegstetten")
    for muni, count in ((kriegstetten, 198), (halten, 76), (solothurn, 3512), (nobody, 4000)):
        ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=count)
    return {"kriegstetten": kriegstetten, "solothurn": solothurn, "grenchen": nobody, "officer": officer}


def test_r25_cli_sends_anhang1_once_per_municipality_with_the_excel_figures(app, runner, make_municipality,
                                                                          make_user):
    """R25, R10, R26: one letter per municipality valid in the year, to its IB and finance office, with the same
    count and base contribution as the Excel export; the second call queues nothing new."""
    world = _anhang1_world(make_municipality, make_user)
    make_user("admin", email="admin@so.ch")
    result = runner.invoke(args=["letters", "anhang1", "2026", "--today", "2026-01-12", "--as", "admin@so.ch"])
    assert result.exit_code == 0, result.output
    assert "3 Brief(e) in den Postausgang gestellt, davon 1 ohne Adresse; 0 bereits früher gestellt" in result.output
    messages = {m.municipality_id: m for m in OutboxMessage.select().where(OutboxMessage.kind == "anhang1")}
    valid = {m.id for m in Municipality.valid_in_year(2026)}
    assert set(messages) == valid and len(valid) == 3  # Halten (merged) and Altort (abolished) get none
    assert messages[world["grenchen"].id].status == "no_address"  # listed on the Postausgang, not lost
    assert json.loads(messages[world["kriegstetten"].id].recipients_json)[1] == ["Finanzverwaltung Kriegstetten",
                                                                                "fv@kriegstetten.ch"]
    sheet = load_workbook(io.BytesIO(exports.contributions(2026)), data_only=True).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True) if isinstance(row[0], int)}
    base = Tariff.get((Tariff.kind == "base_per_foreign_resident") & (Tariff.valid_to.is_null())).amount
    for message in messages.values():
        municipality = Municipality.get_by_id(message.municipality_id)
        text = flat(pdf_text(_attachment(message)))
        _bfs, name, _district, count, amount = rows[municipality.bfs_nr]
        assert "Beiträge an die Einwohnergemeinden für das Jahr 2026" in text and name in text
        assert f"Ausländerbestand 31.12.2024 {number(count)}" in text
        assert f"Sockelbeitrag 2026 CHF {chf(Decimal(str(amount)))}" in text
        assert f"Ansatz pro Person CHF {chf(base)}" in text and "Solothurn, 12.01.2026" in text
        for tariff in Tariff.select().where(Tariff.overlapping(date(2026, 1, 1), date(2026, 12, 31))):
            assert chf(tariff.amount) in text and f"{tariff.valid_from:%d.%m.%Y}" in text
    kriegstetten = flat(pdf_text(_attachment(messages[world["kriegstetten"].id])))
    assert "Ausländerbestand 31.12.2024 274" in kriegstetten  # R26: 198 + 76 of Halten
    again = runner.invoke(args=["letters", "anhang1", "2026", "--today", "2026-01-13"])
    assert again.exit_code == 0 and "0 Brief(e)" in again.output and "3 bereits früher gestellt" in again.output
    assert OutboxMessage.select().where(OutboxMessage.kind == "anhang1").count() == 3


@pytest.mark.parametrize("args, message", [
    (["letters", "anhang1", "2017"], "2018 bis 2100"),
    (["letters", "anhang1", "2026", "--today", "31.02.2026"], "Datum"),
    (["letters", "anhang1", "2026", "--as", "ib@so.ch"], "nicht erlaubt"),
    (["letters", "anhang1", "2026", "--as", "niemand@so.ch"], "Unbekannter Benutzer"),
])
def test_r25_cli_refuses_bad_input_and_queues_nothing(app, runner, make_municipality, make_user, args, message):
    """Bad year, bad date, an officer or an unknown user: a German message, exit code ≠ 0, nothing queued."""
    make_user("officer", email="ib@so.ch", municipality=make_municipality(bfs_nr=2601))
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert OutboxMessage.select().count() == 0


def test_r12_anhang1_download_officer_own_municipality_only(client, auth, make_municipality, make_user):
    """Officers download Anhang 1 of the municipalities they are responsible for; another one is 404 (R12)."""
    world = _anhang1_world(make_municipality, make_user)
    auth.login(user=world["officer"])
    own = client.get(f"/municipalities/{world['solothurn'].id}/anhang1/2026.pdf")
    assert own.status_code == 200 and "Anhang1_2026_2601.pdf" in own.headers["Content-Disposition"]
    assert "Ausländerbestand 31.12.2024 3’512" in flat(pdf_text(own.data))
    assert client.get(f"/municipalities/{world['grenchen'].id}/anhang1/2026.pdf").status_code == 404
    assert client.get(f"/municipalities/{world['solothurn'].id}/anhang1/2017.pdf").status_code == 404
    assert f"/municipalities/{world['solothurn'].id}/anhang1/" in client.get("/").get_data(as_text=True)
    assert OutboxMessage.select().count() == 0  # a download sends nothing
    auth.logout()
    auth.login(role="auditor")
    assert client.get(f"/municipalities/{world['grenchen'].id}/anhang1/2026.pdf").status_code == 200


def test_r22_confirmation_pdf_of_a_submitted_report_names_date_person_and_values(app, client, auth,
                                                                                make_municipality, make_user):
    """The confirmation shows when and by whom the form was submitted and its values with the form's labels;
    before submission there is none, and another officer gets 404 (R12). The print view shows its date."""
    muni = make_municipality(bfs_nr=2601, name="Solothurn", organisation_settled_on=date(2017, 1, 1))
    officer = make_user("officer", municipality=muni, name="Ida Muster")
    report = Report(municipality=muni, year=2025, half=2, form_version=FormVersion.valid_on("report", date(2025, 7, 1)))
    report = submissions.save_draft(officer, report, {"first_info_interviews": 1234, "first_info_interpreter": 3},
                                    None)
    url = f"/gemeinden/{muni.id}/reporting/2025/2/bestaetigung.pdf"
    auth.login(user=officer)
    assert client.get(url).status_code == 404  # a draft is not confirmed
    report = submissions.submit(officer, report, report.version, today=date(2026, 1, 20))
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = flat(pdf_text(response.data))
    report = Report.get_by_id(report.id)
    labels = {f.key: f.label for f in report.form_version.fields}
    assert f"Eingereicht am {swiss_time(report.submitted_at):%d.%m.%Y %H:%M}" in text  # issue 18: Swiss time
    assert f"Eingereicht von Ida Muster ({officer.email})" in text
    assert f"{flat(labels['first_info_interviews'])} 1234" in text and "Frist 31.01.2026" in text
    assert "Bestätigung der Einreichung: Reporting" in text and "Status Eingereicht" in text
    page = client.get(f"/gemeinden/{muni.id}/reporting/2025/2/druck").get_data(as_text=True)
    assert f"erstellt am {date.today():%d.%m.%Y}" in page and "erstellt am  aus" not in page
    assert "bestaetigung.pdf" in client.get(f"/gemeinden/{muni.id}/reporting/2025/2").get_data(as_text=True)
    auth.logout()
    auth.login(role="officer")  # responsible for another municipality
    assert client.get(url).status_code == 404


def test_r22_confirmation_of_a_self_declaration(app, auth, client, make_municipality, make_user):
    """The self-declaration (R21) gets the same confirmation, its answers with the form's labels."""
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    officer = make_user("officer", municipality=muni)
    declaration = SelfDeclaration(municipality=muni, year=2026,
                                  form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))
    field = next(f for f in declaration.form_version.fields if f.field_type in ("text", "textarea"))
    declaration = submissions.save_draft(officer, declaration, {field.key: "Kurse «Deutsch» besucht"}, None)
    submissions.submit(officer, declaration, declaration.version, today=date(2026, 1, 5))
    auth.login(user=officer)
    response = client.get(f"/gemeinden/{muni.id}/selbstdeklaration/2026/bestaetigung.pdf")
    assert response.status_code == 200
    assert "Kurse «Deutsch» besucht" in flat(pdf_text(response.data))
