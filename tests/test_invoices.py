"""Issue 16, part 2: the invoice register (R16, §4.7) — life cycle, refusals, audit, QR-bill, PDF, outbox, export."""
import io
from datetime import date, datetime
from decimal import Decimal

import pypdf
import pytest
from conftest import run_concurrently
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from documents.invoice import creditor_reference, number_of_reference, qr_reference, reference_for
from models import AuditEntry, Invoice, Municipality, OutboxAttachment, OutboxMessage
from services import invoices, payout_runs, settings
from services.audit import Actor
from services.errors import DomainError, PermissionDenied
from services.imports import run_import
from services.invoices import InvoiceFilter

APPROVED = date(2026, 4, 2)  # invoice date; due 02.05.2026 (§4.7: 30 days)
QR_IBAN = "CH4431999123000889012"  # institution id 31999: a QR-IBAN


@pytest.fixture
def invoiced(app, make_municipality, make_user):
    """Grenchen has a clawback of CHF 600 and no credit in the March run: all of it is invoiced on approval."""
    muni = make_municipality(bfs_nr=2546, name="Grenchen", street="Dammstrasse 14", postcode="2540",
                             finance_email="finanzen@grenchen.example", organisation_settled_on=date(2017, 1, 1))
    admin = make_user("admin")
    settings.set_go_live(date(2026, 3, 31), operator="test")
    payout_runs.add_clawback(admin, 2546, Decimal("600.00"), "Aufgaben nicht erfüllt", date(2026, 2, 1))
    run = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31))
    payout_runs.approve(make_user("accountant"), run.id, run.version, today=APPROVED)
    return {"muni": muni, "invoice": Invoice.get(), "admin": admin, "accountant": make_user("accountant")}


def _steps(invoice):
    return [entry.action for entry in invoices.history(invoice)]


def _pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed (the letter's paragraphs are justified)."""
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_r16_invoice_open_then_overdue_then_paid_each_step_audited(invoiced):
    """§4.7: open until 30 days after the invoice date, overdue after, paid once recorded; every step audited."""
    invoice, accountant = invoiced["invoice"], invoiced["accountant"]
    assert (invoice.number, invoice.amount, invoice.due_date) == ("RE-2026-0001", Decimal("600.00"), date(2026, 5, 2))
    assert [invoice.state_on(day) for day in (date(2026, 5, 2), date(2026, 5, 3))] == ["open", "overdue"]
    assert invoices.register(accountant, InvoiceFilter(status="open"), date(2026, 5, 2)) == [invoice]
    assert invoices.register(accountant, InvoiceFilter(status="overdue"), date(2026, 5, 2)) == []
    assert invoices.overdue(accountant, date(2026, 5, 10)) == [invoice]
    paid = invoices.mark_paid(accountant, invoice.id, date(2026, 5, 8), today=date(2026, 5, 10))
    assert (paid.status, paid.paid_on, paid.paid_by_id) == ("paid", date(2026, 5, 8), accountant.id)
    assert paid.paid_recorded_at is not None and paid.state_on(date(2027, 1, 1)) == "paid"
    assert invoices.overdue(accountant, date(2026, 5, 10)) == []
    assert invoices.register(accountant, InvoiceFilter(status="paid"), date(2026, 5, 10)) == [paid]
    # the bill still waiting in the outbox is withdrawn: it would ask for money already paid (review finding)
    assert _steps(invoice) == ["create", "queue", "pay", "withdraw"]
    assert OutboxMessage.get(OutboxMessage.dedupe_key == invoices.dedupe_key(invoice)).last_error.startswith(
        "Zurückgezogen: ")
    entry = AuditEntry.get(AuditEntry.action == "pay")
    assert entry.actor == accountant.email and "08.05.2026" in entry.reason and '"status": "open"' in entry.before


def test_r16_invoice_paid_on_its_date_while_open(invoiced):
    """Paid within the 30 days: never overdue afterwards."""
    invoice = invoices.mark_paid(invoiced["accountant"], invoiced["invoice"].id, APPROVED, today=APPROVED)
    assert invoice.state_on(date(2026, 12, 31)) == "paid"


def test_cancel_needs_a_reason_and_is_audited_then_nothing_more(invoiced):
    invoice, accountant = invoiced["invoice"], invoiced["accountant"]
    audit = AuditEntry.select().count()
    for blank in ("", "   ", None):
        with pytest.raises(DomainError, match="Bitte einen Grund"):
            invoices.cancel(accountant, invoice.id, blank)
    assert AuditEntry.select().count() == audit and Invoice.get_by_id(invoice.id).status == "open"
    cancelled = invoices.cancel(accountant, invoice.id, "  Rückforderung\nim Beschwerdeverfahren aufgehoben ",
                                today=date(2026, 6, 1))
    assert (cancelled.status, cancelled.cancelled_on, cancelled.cancelled_reason, cancelled.cancelled_by_id) == (
        "cancelled", date(2026, 6, 1), "Rückforderung im Beschwerdeverfahren aufgehoben", accountant.id)
    assert cancelled.state_on(date(2026, 12, 1)) == "cancelled"  # never overdue
    assert _steps(invoice) == ["create", "queue", "cancel", "withdraw"]
    with pytest.raises(DomainError, match="storniert"):
        invoices.mark_paid(accountant, invoice.id, date(2026, 6, 1), today=date(2026, 6, 2))
    with pytest.raises(DomainError, match="storniert"):
        invoices.send(accountant, invoice.id)
    assert invoices.register(accountant, InvoiceFilter(status="cancelled"), date(2026, 6, 2)) == [cancelled]
    assert payout_runs.budget_year(2026).invoiced == Decimal("0.00")  # a cancelled invoice is not claimed


def test_paid_twice_before_the_invoice_date_or_in_the_future_is_refused_in_german_nothing_written(invoiced):
    invoice, accountant = invoiced["invoice"], invoiced["accountant"]
    audit = AuditEntry.select().count()
    with pytest.raises(DomainError, match="liegt vor dem Rechnungsdatum 02.04.2026") as refused:
        invoices.mark_paid(accountant, invoice.id, date(2026, 4, 1), today=date(2026, 5, 1))
    assert "paid_on" in refused.value.field_errors
    with pytest.raises(DomainError, match="in der Zukunft"):
        invoices.mark_paid(accountant, invoice.id, date(2026, 5, 2), today=date(2026, 5, 1))
    assert AuditEntry.select().count() == audit and Invoice.get_by_id(invoice.id).status == "open"
    invoices.mark_paid(accountant, invoice.id, date(2026, 4, 20), today=date(2026, 5, 1))
    audit = AuditEntry.select().count()
    with pytest.raises(DomainError, match="bereits am 20.04.2026 als bezahlt erfasst"):
        invoices.mark_paid(accountant, invoice.id, date(2026, 4, 21), today=date(2026, 5, 1))
    with pytest.raises(DomainError, match="bereits am 20.04.2026 als bezahlt"):
        invoices.cancel(accountant, invoice.id, "zu spät")
    assert AuditEntry.select().count() == audit
    assert Invoice.get_by_id(invoice.id).paid_on == date(2026, 4, 20)


def test_only_the_accountant_pays_or_cancels_officer_and_auditor_are_refused(invoiced, make_user):
    invoice = invoiced["invoice"]
    for role in ("admin", "auditor", "officer"):
        with pytest.raises(PermissionDenied):
            invoices.mark_paid(make_user(role), invoice.id, APPROVED, today=APPROVED)
        with pytest.raises(PermissionDenied):
            invoices.cancel(make_user(role), invoice.id, "Grund")
    with pytest.raises(PermissionDenied):
        invoices.register(make_user("officer", municipality=invoiced["muni"]))
    assert Invoice.get_by_id(invoice.id).status == "open"


def test_two_accountants_marking_paid_at_once_give_one_payment(app, invoiced):
    """Conditional UPDATE … WHERE status = 'open': one succeeds, the other is refused, one audit entry."""
    invoice, first, second = invoiced["invoice"], invoiced["accountant"], invoiced["admin"]
    second.role = "accountant"
    second.save()
    outcomes = run_concurrently(app, [
        lambda: invoices.mark_paid(first, invoice.id, date(2026, 4, 10), today=date(2026, 5, 1)),
        lambda: invoices.mark_paid(second, invoice.id, date(2026, 4, 11), today=date(2026, 5, 1)),
    ])
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert AuditEntry.select().where((AuditEntry.model == "Invoice") & (AuditEntry.action == "pay")).count() == 1
    assert Invoice.get_by_id(invoice.id).status == "paid"


def _qr_fields(invoice, day=APPROVED):
    bill = invoices.qr_bill_of(invoice, day)
    return bill.qr_data().split("\r\n")


def test_qr_bill_payload_parsed_back_field_by_field(invoiced):
    """Swiss Payment Code 0200: creditor = the canton's account (settings), amount, CHF, SCOR reference from the
    invoice number (normal IBAN), debtor = the municipality with its structured address."""
    fields = _qr_fields(invoiced["invoice"])
    assert fields[:4] == ["SPC", "0200", "1", "CH9300762011623852957"]
    assert fields[4:11] == ["S", "Kanton Solothurn", "Ambassadorenhof", "", "4509", "Solothurn", "CH"]
    assert fields[11:18] == [""] * 7  # ultimate creditor: reserved
    assert fields[18:20] == ["600.00", "CHF"]
    assert fields[20:27] == ["S", "Einwohnergemeinde Grenchen", "Dammstrasse 14", "", "2540", "Grenchen", "CH"]
    assert fields[27] == "SCOR" and fields[28] == creditor_reference("RE-2026-0001")
    assert number_of_reference(fields[28]) == "RE-2026-0001"
    assert fields[29] == "Rechnung RE-2026-0001 start.integration" and fields[30] == "EPD"


def test_qr_iban_of_the_canton_gets_a_qrr_reference(invoiced):
    """A QR-IBAN needs a 27-digit QR reference (QRR); the canton's setting decides, the number stays readable."""
    settings.set_canton_setting("canton.iban", QR_IBAN, invoiced["admin"])
    fields = _qr_fields(invoiced["invoice"])
    assert fields[3] == QR_IBAN and fields[27] == "QRR" and len(fields[28]) == 27
    assert fields[28] == qr_reference("RE-2026-0001") and number_of_reference(fields[28]) == "RE-2026-0001"


@given(year=st.integers(2017, 2099), sequence=st.integers(1, 99_999), qr=st.booleans())
def test_every_invoice_number_has_a_valid_reference_that_reads_back(year, sequence, qr):
    number = f"RE-{year}-{sequence:04d}"
    reference = reference_for(number, QR_IBAN if qr else "CH9300762011623852957")
    assert reference.startswith("RF") is not qr
    assert number_of_reference(reference) == number


def test_pdf_reads_back_letter_and_payment_part(invoiced, make_user):
    _invoice, data = invoices.pdf(invoiced["accountant"], invoiced["invoice"].id, APPROVED)
    text = _pdf_text(data)
    for expected in ("Einwohnergemeinde Grenchen", "Finanzverwaltung", "Dammstrasse 14", "2540 Grenchen",
                     "Rechnung RE-2026-0001", "CHF 600.00", "Zahlbar bis 02.05.2026", "Aufgaben nicht erfüllt",
                     "Ziffer 4.7", "Zahlteil", "Empfangsschein", "CH93 0076 2011 6238 5295 7",
                     "RF", "Zahlbar durch", "Solothurn, 02.04.2026"):
        assert expected in text, expected
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1  # letter and payment part on one page


def test_r26_invoice_of_a_merged_municipality_is_owed_by_its_successor(invoiced, make_municipality):
    """After the merger the successor is the debtor: register, QR-bill, letter and the outbox address say so."""
    successor = make_municipality(bfs_nr=2550, name="Grenchen-Neu", postcode="2540", street="Marktplatz 1",
                                  finance_email="finanzen@neu.example")
    muni = invoiced["muni"]
    muni.valid_to, muni.successor = date(2026, 12, 31), successor
    muni.save()
    invoice, accountant = Invoice.get_by_id(invoiced["invoice"].id), invoiced["accountant"]
    assert invoices.debtor_of(invoice.municipality, date(2026, 12, 31)).id == muni.id
    assert invoices.debtor_of(invoice.municipality, date(2027, 1, 5)).id == successor.id
    assert invoices.register(accountant, InvoiceFilter(municipality_id=successor.id), date(2027, 1, 5)) == [invoice]
    fields = _qr_fields(invoice, date(2027, 1, 5))
    assert fields[20:27] == ["S", "Einwohnergemeinde Grenchen-Neu", "Marktplatz 1", "", "2540", "Grenchen-Neu", "CH"]
    text = _pdf_text(invoices.pdf(accountant, invoice.id, date(2027, 1, 5))[1])
    assert "Einwohnergemeinde Grenchen-Neu" in text and "Forderung gegenüber Grenchen (Rechtsnachfolge)" in text


def test_approval_queues_the_invoice_pdf_for_the_finance_office_once(invoiced):
    message = OutboxMessage.get()
    assert (message.kind, message.status, message.dedupe_key) == ("invoice", "queued", "invoice:1")
    assert "finanzen@grenchen.example" in message.recipients_json and "RE-2026-0001" in message.subject
    attachment = OutboxAttachment.get(OutboxAttachment.message == message)
    assert attachment.mimetype == "application/pdf" and attachment.filename == "Rechnung_RE-2026-0001.pdf"
    assert "Rechnung RE-2026-0001" in _pdf_text(bytes(attachment.content))
    again, created = invoices.send(invoiced["accountant"], invoiced["invoice"].id)
    assert (again.id, created) == (message.id, False) and OutboxMessage.select().count() == 1


def test_without_a_finance_address_the_invoice_waits_and_is_sent_on_demand(app, make_municipality, make_user):
    make_municipality(bfs_nr=2601, name="Solothurn")  # no finance_email, no postcode
    admin, accountant = make_user("admin"), make_user("accountant")
    settings.set_go_live(date(2026, 3, 31), operator="test")
    payout_runs.add_clawback(admin, 2601, Decimal("50.00"), "Test", date(2026, 2, 1))
    run = payout_runs.prepare(admin, date(2026, 3, 31), date(2026, 3, 31))
    payout_runs.approve(accountant, run.id, run.version, today=APPROVED)
    assert OutboxMessage.get().status == "no_address"  # listed on the outbox page, never lost
    fields = _qr_fields(Invoice.get())
    assert fields[20:27] == [""] * 7  # no postcode: "Zahlbar durch" left blank for the debtor to fill in


def test_xlsx_export_reads_back_typed_and_formula_safe(invoiced):
    """Follows the other exports: numbers, real dates, user text as text even when it starts with '='."""
    invoices.cancel(invoiced["accountant"], invoiced["invoice"].id, "=HYPERLINK(\"http://x\")", today=date(2026, 5, 1))
    book = load_workbook(io.BytesIO(invoices.export(invoiced["accountant"], InvoiceFilter(), date(2026, 5, 1))))
    sheet = book["Rechnungen"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == invoices.EXPORT_HEADERS
    row = rows[1]
    assert row[:8] == ("RE-2026-0001", 2546, "Grenchen", None, 600.0, datetime(2026, 4, 2), datetime(2026, 5, 2),
                       "storniert")
    assert row[10] == datetime(2026, 5, 1) and row[11] == '=HYPERLINK("http://x")'
    assert sheet.cell(2, 12).data_type == "s" and sheet.cell(2, 5).number_format == "#,##0.00"
    # a cancelled invoice is no claim: the total leaves it out (review finding)
    assert rows[2][0] == "Total ohne stornierte" and sheet.cell(3, 5).value == '=SUMIF(H2:H2,"<>storniert",E2:E2)'
    from openpyxl.reader.excel import load_workbook as load_values  # noqa: PLC0415
    cached = load_values(io.BytesIO(invoices.export(invoiced["accountant"], InvoiceFilter(), date(2026, 5, 1))),
                         data_only=True)["Rechnungen"]
    assert cached.cell(3, 5).value == 0
    empty = load_workbook(io.BytesIO(invoices.export(invoiced["accountant"], InvoiceFilter(year=2025))))
    assert len(list(empty["Rechnungen"].iter_rows())) == 1


# --- pages -----------------------------------------------------------------------------------------------------

def test_accountant_marks_paid_on_the_page_with_confirmation(invoiced, client, auth):
    invoice = invoiced["invoice"]
    auth.login(user=invoiced["accountant"])
    page = client.get(f"/rechnungen/{invoice.id}").get_data(as_text=True)
    assert "RE-2026-0001" in page and "Als bezahlt erfassen" in page and "erstellt" in page
    unconfirmed = client.post(f"/rechnungen/{invoice.id}/bezahlt", data={"paid_on": "2026-04-20"})
    assert unconfirmed.status_code == 400 and "Bitte bestätigen." in unconfirmed.get_data(as_text=True)
    assert Invoice.get_by_id(invoice.id).status == "open"
    early = client.post(f"/rechnungen/{invoice.id}/bezahlt", data={"paid_on": "2026-03-01", "confirm": "y"})
    assert "liegt vor dem Rechnungsdatum" in early.get_data(as_text=True)
    done = client.post(f"/rechnungen/{invoice.id}/bezahlt", data={"paid_on": "2026-04-20", "confirm": "y"},
                       follow_redirects=True).get_data(as_text=True)
    assert "als bezahlt erfasst" in done and "20.04.2026" in done
    twice = client.post(f"/rechnungen/{invoice.id}/bezahlt", data={"paid_on": "2026-04-21", "confirm": "y"})
    assert twice.status_code == 400 and "bereits am 20.04.2026 als bezahlt erfasst" in twice.get_data(as_text=True)
    assert Invoice.get_by_id(invoice.id).paid_on == date(2026, 4, 20)


def test_register_filters_and_overdue_page(invoiced, client, auth):
    auth.login(user=invoiced["accountant"])
    listed = client.get("/rechnungen?status=overdue&gemeinde=2546&jahr=2026").get_data(as_text=True)
    assert "RE-2026-0001" in listed and "überfällig" in listed  # today is past 02.05.2026
    assert "RE-2026-0001" not in client.get("/rechnungen?jahr=2025").get_data(as_text=True)
    unknown = client.get("/rechnungen?gemeinde=9998").get_data(as_text=True)
    assert "Keine Gemeinde mit BFS-Nr 9998" in unknown and "RE-2026-0001" not in unknown
    assert "RE-2026-0001" in client.get("/rechnungen/ueberfaellig").get_data(as_text=True)
    export = client.get("/rechnungen.xlsx?status=paid")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    pdf = client.get(f"/rechnungen/{invoiced['invoice'].id}.pdf")
    assert pdf.mimetype == "application/pdf" and "Zahlteil" in _pdf_text(pdf.data)


def test_officer_sees_no_invoices_not_even_of_their_own_municipality(invoiced, client, auth, make_user):
    """Decision: invoices are the canton's accounting; the municipality's finance office gets them by mail."""
    auth.login(user=make_user("officer", municipality=invoiced["muni"]))
    for url in ("/rechnungen", "/rechnungen/ueberfaellig", "/rechnungen.xlsx", "/rechnungen/1", "/rechnungen/1.pdf"):
        response = client.get(url)
        assert response.status_code == 403 and "RE-2026" not in response.get_data(as_text=True), url
    assert "Rechnungen" not in client.get("/").get_data(as_text=True)


def test_auditor_reads_the_register_but_sees_no_actions(invoiced, client, auth, make_user):
    auth.login(user=make_user("auditor"))
    page = client.get(f"/rechnungen/{invoiced['invoice'].id}").get_data(as_text=True)
    assert "RE-2026-0001" in page and "Als bezahlt erfassen" not in page and "stornieren" not in page
    assert client.post(f"/rechnungen/{invoiced['invoice'].id}/bezahlt",
                       data={"paid_on": "2026-04-20", "confirm": "y"}).status_code == 403
    assert Invoice.get_by_id(invoiced["invoice"].id).status == "open"


def test_accountant_cancels_on_the_page_with_reason_and_confirmation(invoiced, client, auth):
    invoice = invoiced["invoice"]
    auth.login(user=invoiced["accountant"])
    blank = client.post(f"/rechnungen/{invoice.id}/stornieren", data={"reason": "  ", "confirm": "y"})
    assert blank.status_code == 400 and "Bitte einen Grund für die Stornierung angeben." in blank.get_data(as_text=True)
    assert Invoice.get_by_id(invoice.id).status == "open"
    done = client.post(f"/rechnungen/{invoice.id}/stornieren", data={"reason": "Erlass durch das Amt", "confirm": "y"},
                       follow_redirects=True).get_data(as_text=True)
    assert "storniert" in done and "Erlass durch das Amt" in done and "Als bezahlt erfassen" not in done
    refused = client.post(f"/rechnungen/{invoice.id}/senden", follow_redirects=True).get_data(as_text=True)
    assert "ist storniert" in refused and OutboxMessage.select().count() == 1


def test_postal_address_for_the_qr_bill_is_checked_in_the_admin_and_the_import(app, client, auth, make_municipality):
    """The debtor's address comes from the municipality (street, PLZ); a bad PLZ is refused next to the field."""
    muni = make_municipality(bfs_nr=2546, name="Grenchen")
    auth.login("admin")
    page = client.post(f"/admin/municipality/edit/?id={muni.id}", data={
        "bfs_nr": "2546", "name": "Grenchen", "district": "Lebern", "postcode": "25400", "street": "Dammstrasse 14"},
        follow_redirects=True).get_data(as_text=True)
    assert "bitte vier Ziffern" in page
    result = run_import("municipalities", "m.csv", b"bfs_nr,name,district,street,postcode\n"
                        b"2546,Grenchen,Lebern,Dammstrasse 14,2540\n2547,Neu,Lebern,,12\n", Actor.cli("test"))
    assert result.errors and "vier Ziffern" in str(result.errors)
    assert Municipality.get_by_id(muni.id).postcode is None  # one bad row: nothing written
    run_import("municipalities", "m.csv", b"bfs_nr,name,district,street,postcode\n2546,Grenchen,Lebern,Dammstrasse 14,"
               b"2540\n", Actor.cli("test"))
    stored = Municipality.get_by_id(muni.id)
    assert (stored.street, stored.postcode) == ("Dammstrasse 14", "2540")


def test_cli_lists_pays_once_and_exports(invoiced, runner, tmp_path):
    """The same services from the command line: a refusal is a German line and exit code 1, nothing written."""
    accountant = invoiced["accountant"].email
    listed = runner.invoke(args=["invoices", "list", "--status", "overdue", "--on", "2026-05-10", "--as", accountant])
    assert listed.exit_code == 0 and "RE-2026-0001  2546 Grenchen  CHF 600.00" in listed.output, listed.output
    early = runner.invoke(args=["invoices", "pay", "RE-2026-0001", "--paid-on", "01.04.2026", "--as", accountant])
    assert early.exit_code == 1 and "liegt vor dem Rechnungsdatum" in early.output
    paid = runner.invoke(args=["invoices", "pay", "RE-2026-0001", "--paid-on", "2026-04-20", "--as", accountant])
    assert paid.exit_code == 0, paid.output
    again = runner.invoke(args=["invoices", "pay", "RE-2026-0001", "--paid-on", "2026-04-21", "--as", accountant])
    assert again.exit_code == 1 and "bereits am 20.04.2026 als bezahlt erfasst" in again.output
    target = tmp_path / "rechnungen.xlsx"
    assert runner.invoke(args=["invoices", "export", "--status", "paid", "--as", accountant, "-o", str(target)]
                         ).exit_code == 0
    assert load_workbook(target)["Rechnungen"]["A2"].value == "RE-2026-0001"
    pdf = tmp_path / "r.pdf"
    assert runner.invoke(args=["invoices", "pdf", "RE-2026-0001", "-o", str(pdf), "--as", accountant]).exit_code == 0
    assert "Zahlteil" in _pdf_text(pdf.read_bytes())
    assert AuditEntry.select().where(AuditEntry.action == "pay").count() == 1
