"""The invoice register (issue 16; R16, §4.7): filter, overdue list, mark paid, cancel, PDF with QR-bill, send, export.

Invoices are created on run approval (services/payout_runs.py) for what the offsets could not cover. Their
stored status is open, paid or cancelled; "overdue" is an open invoice past its due date on the day asked.
The debtor is the invoiced municipality, or its successor once it has merged (R26).
"""
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf.errors import FPDFException
from peewee import JOIN

from auth.policy import require
from core.formatting import chf, date_ch
from documents.invoice import Debtor, InvoiceDocument, invoice_pdf, qr_bill, reference_for
from documents.letter import Sender
from models import INVOICE_STATES, AuditEntry, Clawback, Invoice, Municipality, OutboxMessage, PayoutRun, User, db
from models.user import utcnow

from .audit import Actor, record, snapshot
from .errors import DomainError
from .exports import _Sheet, _workbook
from .outbox import Attachment, enqueue, withdraw
from .recipients import municipality_addresses
from .settings import canton_account, canton_settings

FILTER_STATES = {"open": "offen (noch nicht fällig)", "overdue": "überfällig", "paid": "bezahlt",
                 "cancelled": "storniert"}
REASON_MAX = 500
EXPORT_HEADERS = ["Rechnungsnr", "BFS-Nr", "Schuldnerin", "Forderung entstanden bei", "Betrag", "Rechnungsdatum",
                  "Fällig am", "Status", "Bezahlt am", "Zahlung erfasst von", "Storniert am", "Stornogrund", "Grund",
                  "Referenz"]


@dataclass(frozen=True)
class InvoiceFilter:
    status: str | None = None  # one of FILTER_STATES
    municipality_id: int | None = None  # the debtor: its own invoices and those of its predecessors (R26)
    year: int | None = None  # of the invoice date


def debtor_of(municipality: Municipality, day: date) -> Municipality:
    """R26: an abolished municipality's debts are its successor's (followed through several mergers)."""
    seen = set()
    while (municipality.successor_id and municipality.valid_to and municipality.valid_to < day
           and municipality.id not in seen):
        seen.add(municipality.id)
        municipality = municipality.successor
    return municipality


def _with_predecessors(municipality_id: int) -> set[int]:
    ids, frontier = {municipality_id}, {municipality_id}
    while frontier:
        frontier = {m.id for m in Municipality.select(Municipality.id).where(Municipality.successor.in_(frontier))
                    } - ids
        ids |= frontier
    return ids


def _query(criteria: InvoiceFilter, day: date):
    query = (Invoice.select(Invoice, Municipality, Clawback, PayoutRun)
             .join(Municipality, on=(Invoice.municipality == Municipality.id))
             .switch(Invoice).join(Clawback, on=(Invoice.clawback == Clawback.id))
             .switch(Invoice).join(PayoutRun, JOIN.INNER, on=(Invoice.run == PayoutRun.id)))
    status = criteria.status
    if status == "open":
        query = query.where((Invoice.status == "open") & (Invoice.due_date >= day))
    elif status == "overdue":
        query = query.where((Invoice.status == "open") & (Invoice.due_date < day))
    elif status in ("paid", "cancelled"):
        query = query.where(Invoice.status == status)
    elif status:
        raise DomainError(f"Unbekannter Status «{status}».", {"status": ["Unbekannter Status."]})
    if criteria.municipality_id:
        query = query.where(Invoice.municipality.in_(list(_with_predecessors(criteria.municipality_id))))
    if criteria.year:
        query = query.where(Invoice.invoice_date.between(date(criteria.year, 1, 1), date(criteria.year, 12, 31)))
    return query.order_by(Invoice.invoice_date.desc(), Invoice.number.desc())


def register(user: User, criteria: InvoiceFilter = InvoiceFilter(), day: date | None = None) -> list[Invoice]:
    """The invoices matching the filter (status computed on `day`), newest first."""
    require(user, "invoice.read")
    return list(_query(criteria, day or date.today()))


def overdue(user: User, day: date | None = None) -> list[Invoice]:
    """Open invoices past their due date (30 days after the invoice, §4.7), oldest due first."""
    require(user, "invoice.read")
    return sorted(_query(InvoiceFilter(status="overdue"), day or date.today()), key=lambda i: (i.due_date, i.number))


def get(user: User, invoice_id: int) -> Invoice:
    require(user, "invoice.read")
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise DomainError(f"Unbekannte Rechnung {invoice_id}.")
    return invoice


def history(invoice: Invoice) -> list[AuditEntry]:
    """Every audited step of the invoice (created, paid, cancelled, queued for sending), in order."""
    messages = [str(m.id) for m in OutboxMessage.select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == dedupe_key(invoice))]
    return list(AuditEntry.select().where(
        ((AuditEntry.model == "Invoice") & (AuditEntry.record_id == str(invoice.id)))
        | ((AuditEntry.model == "OutboxMessage") & AuditEntry.record_id.in_(messages or [""])))
        .order_by(AuditEntry.id))


def mark_paid(user: User, invoice_id: int, paid_on: date | None, today: date | None = None) -> Invoice:
    """Record the payment once: not before the invoice date, not in the future, never twice (conditional UPDATE)."""
    require(user, "invoice.pay")
    today = today or date.today()
    invoice = get(user, invoice_id)
    _refuse_unless_open(invoice, "paid_on")
    if paid_on is None:
        raise DomainError("Bitte das Zahlungsdatum angeben.", {"paid_on": ["Bitte das Zahlungsdatum angeben."]})
    if paid_on < invoice.invoice_date:
        message = (f"Das Zahlungsdatum {date_ch(paid_on)} liegt vor dem Rechnungsdatum "
                   f"{date_ch(invoice.invoice_date)}; nichts gespeichert.")
        raise DomainError(message, {"paid_on": [message]})
    if paid_on > today:
        message = f"Das Zahlungsdatum {date_ch(paid_on)} liegt in der Zukunft; nichts gespeichert."
        raise DomainError(message, {"paid_on": [message]})
    with db.atomic():
        before = snapshot(invoice)
        changed = (Invoice.update(status="paid", paid_on=paid_on, paid_by=user.id, paid_recorded_at=utcnow())
                   .where((Invoice.id == invoice.id) & (Invoice.status == "open")).execute())
        if changed != 1:  # another accountant was faster: one payment only
            raise DomainError(_already(Invoice.get_by_id(invoice.id)), {"paid_on": ["Bereits erledigt."]})
        invoice = Invoice.get_by_id(invoice.id)
        record(Actor.of(user), "pay", invoice, before=before, after=snapshot(invoice),
               reason=f"Zahlung CHF {chf(invoice.amount)} am {date_ch(paid_on)} erfasst (R16)")
        # a bill not yet mailed is not sent any more: it would ask for money already paid
        withdraw(Actor.of(user), dedupe_key(invoice), f"Rechnung {invoice.number} bezahlt")
    return invoice


def cancel(user: User, invoice_id: int, reason: str, today: date | None = None) -> Invoice:
    """Cancel an open (or overdue) invoice with a reason; a paid one stays paid."""
    require(user, "invoice.cancel")
    today = today or date.today()
    invoice = get(user, invoice_id)
    _refuse_unless_open(invoice, "reason")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Bitte einen Grund für die Stornierung angeben.",
                          {"reason": ["Bitte einen Grund für die Stornierung angeben."]})
    if len(reason) > REASON_MAX:
        message = f"Der Grund ist zu lang (höchstens {REASON_MAX} Zeichen)."
        raise DomainError(message, {"reason": [message]})
    with db.atomic():
        before = snapshot(invoice)
        changed = (Invoice.update(status="cancelled", cancelled_on=today, cancelled_by=user.id,
                                  cancelled_reason=reason)
                   .where((Invoice.id == invoice.id) & (Invoice.status == "open")).execute())
        if changed != 1:
            raise DomainError(_already(Invoice.get_by_id(invoice.id)), {"reason": ["Bereits erledigt."]})
        invoice = Invoice.get_by_id(invoice.id)
        record(Actor.of(user), "cancel", invoice, before=before, after=snapshot(invoice),
               reason=f"Storniert: {reason}")
        withdraw(Actor.of(user), dedupe_key(invoice), f"Rechnung {invoice.number} storniert")
    return invoice


def _refuse_unless_open(invoice: Invoice, field: str) -> None:
    if invoice.status != "open":
        message = _already(invoice)
        raise DomainError(message, {field: [message]})


def _already(invoice: Invoice) -> str:
    if invoice.status == "paid":
        return (f"Die Rechnung {invoice.number} ist bereits am {date_ch(invoice.paid_on)} als bezahlt erfasst; "
                "nichts geändert.")
    return f"Die Rechnung {invoice.number} ist storniert ({invoice.cancelled_reason}); nichts geändert."


# --- the document and its sending ---------------------------------------------------------------------------

def document(invoice: Invoice, day: date | None = None) -> InvoiceDocument:
    """What the PDF prints: the canton's account, the debtor (successor after a merger) and its address."""
    debtor = debtor_of(invoice.municipality, day or date.today())
    origin = invoice.clawback.municipality
    return InvoiceDocument(
        number=invoice.number, amount=invoice.amount, invoice_date=invoice.invoice_date, due_date=invoice.due_date,
        reason=invoice.clawback.reason,
        debtor=Debtor(name=f"Einwohnergemeinde {debtor.name}", town=debtor.name, street=debtor.street or "",
                      postcode=debtor.postcode or ""),
        iban=canton_account(),
        on_behalf_of=origin.name if origin.id != debtor.id else "",
        payout_date=invoice.run.payout_date)


def reference(invoice: Invoice) -> str:
    """The QR-bill reference (SCOR for a normal IBAN, QRR for a QR-IBAN of the canton); empty without one."""
    iban = canton_settings()["canton.iban"]
    return reference_for(invoice.number, iban) if iban else ""


def qr_bill_of(invoice: Invoice, day: date | None = None):
    """The QR-bill of the invoice as printed (its `qr_data()` is the Swiss Payment Code payload)."""
    return qr_bill(document(invoice, day), Sender.from_settings(canton_settings()))


def pdf(user: User, invoice_id: int, day: date | None = None) -> tuple[Invoice, bytes]:
    invoice = get(user, invoice_id)
    return invoice, _pdf(invoice, day)


def _pdf(invoice: Invoice, day: date | None) -> bytes:
    try:
        return invoice_pdf(document(invoice, day), Sender.from_settings(canton_settings()))
    except (ValueError, FPDFException) as exc:  # e.g. an address the QR-bill standard does not accept
        raise DomainError(f"Die Rechnung {invoice.number} kann nicht erstellt werden: {exc}") from None


def dedupe_key(invoice: Invoice) -> str:
    return f"invoice:{invoice.id}"


def queue(actor: Actor, invoice: Invoice, day: date, user: User | None = None) -> tuple[OutboxMessage, bool]:
    """Put the invoice PDF into the outbox for the debtor's finance office, once per invoice (dedupe key).

    Call it inside the transaction of its cause (approval, or "Rechnung senden").
    """
    debtor = debtor_of(invoice.municipality, day)
    recipients = municipality_addresses([debtor], day, officers=False, finance=True)[debtor.id]
    body = (f"Guten Tag\n\nIm Anhang erhalten Sie die Rechnung {invoice.number} über CHF {chf(invoice.amount)} "
            f"für eine Rückforderung start.integration (Kreisschreiben KRS-GEF-2017/01, Ziffer 4.7), zahlbar bis "
            f"{date_ch(invoice.due_date)} mit dem QR-Einzahlungsschein.\n\nFreundliche Grüsse\n"
            f"{canton_settings()['canton.signature']}")
    return enqueue(actor, "invoice", recipients, f"Rechnung {invoice.number} – Rückforderung start.integration",
                   body, dedupe_key=dedupe_key(invoice), municipality=debtor.id, user=user,
                   attachments=[Attachment(f"Rechnung_{invoice.number}.pdf", "application/pdf", _pdf(invoice, day))])


def queue_on_approval(actor: Actor, invoice: Invoice, day: date) -> None:
    """At approval: queue the invoice, but never let a document problem undo the approval (sent later by hand)."""
    try:
        queue(actor, invoice, day)
    except DomainError:
        pass  # the invoice page shows "nicht versandt"; "Rechnung senden" reports the problem


def send(user: User, invoice_id: int, day: date | None = None) -> tuple[OutboxMessage, bool]:
    """"Rechnung senden": queue an open invoice that is not yet in the outbox (else report where it is)."""
    require(user, "invoice.send")
    day = day or date.today()
    invoice = get(user, invoice_id)
    if invoice.status != "open":
        raise DomainError(_already(invoice))
    with db.atomic():
        return queue(Actor.of(user), invoice, day, user=user)


def message_of(invoice: Invoice) -> OutboxMessage | None:
    return OutboxMessage.get_or_none(OutboxMessage.dedupe_key == dedupe_key(invoice))


# --- export --------------------------------------------------------------------------------------------------

def export(user: User, criteria: InvoiceFilter = InvoiceFilter(), day: date | None = None) -> bytes:
    """The filtered register as xlsx: typed cells (amounts numbers, dates dates), user text never a formula."""
    day = day or date.today()
    invoices = register(user, criteria, day)
    iban = canton_settings()["canton.iban"]
    users = {u.id: u.email for u in User.select(User.id, User.email)}
    buffer = io.BytesIO()
    book, formats = _workbook(buffer, f"Rechnungen start.integration, Stand {date_ch(day)}")
    sheet = _Sheet(book, "Rechnungen", EXPORT_HEADERS, [14, 8, 24, 24, 14, 14, 12, 12, 12, 24, 12, 40, 40, 30],
                   formats)
    claimed = Decimal("0.00")
    municipalities = {m.id: m for m in Municipality.select()}
    for invoice in invoices:
        debtor = debtor_of(invoice.municipality, day)
        origin = municipalities[invoice.clawback.municipality_id]
        sheet.write([invoice.number, debtor.bfs_nr, debtor.name, origin.name if origin.id != debtor.id else None,
                     invoice.amount, invoice.invoice_date, invoice.due_date, INVOICE_STATES[invoice.state_on(day)],
                     invoice.paid_on, users.get(invoice.paid_by_id), invoice.cancelled_on,
                     invoice.cancelled_reason, invoice.clawback.reason,
                     reference_for(invoice.number, iban) if iban else ""])
        if invoice.status != "cancelled":
            claimed += invoice.amount
    sheet.close_table()
    if invoices:  # a cancelled invoice is no claim: the total leaves it out (SUMIF on the status column)
        last = sheet.row
        sheet.sheet.write_string(sheet.row, 0, "Total ohne stornierte", formats["bold"])
        sheet.sheet.write_formula(sheet.row, 4, f'=SUMIF(H2:H{last},"<>{INVOICE_STATES["cancelled"]}",E2:E{last})',
                                  formats["total"], float(claimed))
        sheet.row += 1
    book.close()
    return buffer.getvalue()
