"""The invoice letter with a Swiss QR-bill (issue 16, R16, §4.7): the letter layout plus the payment part.

The QR-bill comes from the `qrbill` package as SVG and is embedded by fpdf2 at the foot of the letter's
page (a second page when the letter is too long). Its reference is derived from the invoice number:
an ISO 11649 creditor reference (SCOR, `RF…`) for a normal IBAN, a 27-digit QR reference (QRR) for a
QR-IBAN (institution id 30000–31999) — the standard allows no other pairing. Both can be read back
to the invoice number (`number_of_reference`).
"""
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from qrbill import QRBill
from stdnum import iso11649
from stdnum.ch import esr
from stdnum.iso7064 import mod_97_10

from core.formatting import chf, date_ch

from .letter import Letter, Sender

BILL_HEIGHT_MM = 106  # qrbill's payment part (105 mm) plus the scissors line
PAGE_HEIGHT_MM = 297
_NUMBER = re.compile(r"^RE-(\d{4})-(\d{1,9})$")


def is_qr_iban(iban: str) -> bool:
    """A QR-IBAN has an institution id (positions 5–9) of 30000–31999."""
    compact = iban.replace(" ", "").upper()
    return compact[4:9].isdigit() and 30000 <= int(compact[4:9]) <= 31999


def creditor_reference(number: str) -> str:
    """ISO 11649 (SCOR): RF, two check digits, the invoice number without hyphens (RE-2026-0001 → RF…RE20260001)."""
    body = re.sub(r"[^0-9A-Z]", "", number.upper())
    return iso11649.validate("RF" + mod_97_10.calc_check_digits(body + "RF") + body)


def qr_reference(number: str) -> str:
    """QRR for a QR-IBAN: year and sequence as 26 digits plus the modulo-10 recursive check digit."""
    match = _NUMBER.match(number)
    if not match:
        raise ValueError(f"Rechnungsnummer {number} hat nicht die Form RE-JJJJ-NNNN")
    digits = (match.group(1) + match.group(2).zfill(9)).zfill(26)
    return digits + esr.calc_check_digit(digits)


def reference_for(number: str, iban: str) -> str:
    return qr_reference(number) if is_qr_iban(iban) else creditor_reference(number)


def number_of_reference(reference: str) -> str:
    """The invoice number a SCOR or QRR reference of this application stands for (payment matching)."""
    reference = reference.replace(" ", "").upper()
    if reference.startswith("RF"):
        body = iso11649.validate(reference)[4:]
        match = re.match(r"^RE(\d{4})(\d+)$", body)
    else:
        digits = esr.validate(reference)[:-1].zfill(26)
        match = re.match(r"^0*(\d{4})(\d{9})$", digits)
    if not match:
        raise ValueError(f"Referenz {reference} gehört zu keiner Rechnung")
    year, sequence = match.group(1), match.group(2).lstrip("0") or "0"
    return f"RE-{year}-{sequence.zfill(4)}"


@dataclass(frozen=True)
class Debtor:
    """The paying municipality (its successor after a merger, R26): name and postal address of its administration."""

    name: str  # "Einwohnergemeinde Grenchen"
    town: str
    street: str = ""
    postcode: str = ""
    contact: str = "Finanzverwaltung"

    @property
    def lines(self) -> list[str]:
        return [self.name, self.contact, self.street, f"{self.postcode} {self.town}".strip()]

    def qr_address(self) -> dict | None:
        """Structured address (type S) for the QR-bill; without a postcode the field stays blank (allowed)."""
        if not self.postcode:
            return None
        return {"name": self.name, "street": self.street, "pcode": self.postcode, "city": self.town,
                "country": "CH"}


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    amount: Decimal
    invoice_date: date
    due_date: date
    reason: str
    debtor: Debtor
    iban: str  # the canton's account (settings canton.iban)
    on_behalf_of: str = ""  # the abolished municipality the claim arose at, when the debtor is its successor (R26)
    payout_date: date | None = None


def qr_bill(doc: InvoiceDocument, sender: Sender) -> QRBill:
    """The QR-bill of the invoice: creditor = the canton's account, debtor = the municipality."""
    return QRBill(
        account=doc.iban,
        creditor={"name": sender.name, "street": sender.street, "pcode": sender.postcode, "city": sender.town,
                  "country": "CH"},
        amount=str(doc.amount.quantize(Decimal("0.01"))),
        currency="CHF",
        debtor=doc.debtor.qr_address(),
        reference_number=reference_for(doc.number, doc.iban),
        additional_information=f"Rechnung {doc.number} start.integration"[:140],
        language="de",
    )


class _InvoiceLetter(Letter):
    """The letter without its footer on the page that carries the payment part at its foot."""

    bill_page = 0

    def footer(self):
        if self.page_no() != self.bill_page:
            super().footer()


def invoice_pdf(doc: InvoiceDocument, sender: Sender) -> bytes:
    """Letter (address, facts, §4.7) and the QR-bill's payment part with receipt, read back by tests with pypdf."""
    bill = qr_bill(doc, sender)
    letter = _InvoiceLetter(sender, f"Rechnung {doc.number}")
    letter.addresses(doc.debtor.lines)
    letter.place_and_date(doc.invoice_date)
    letter.subject(f"Rechnung {doc.number}: Rückforderung start.integration")
    facts = [("Rechnungsnummer", doc.number), ("Rechnungsdatum", date_ch(doc.invoice_date)),
             ("Betrag", f"CHF {chf(doc.amount)}"), ("Zahlbar bis", date_ch(doc.due_date)),
             ("Referenz", _formatted(bill.reference_number)), ("Grund", doc.reason)]
    if doc.on_behalf_of:
        facts.append(("Forderung gegenüber", f"{doc.on_behalf_of} (Rechtsnachfolge, R26)"))
    letter.facts(facts)
    run = f" im Auszahlungslauf per {date_ch(doc.payout_date)}" if doc.payout_date else ""
    letter.paragraph(
        f"Die Rückforderung konnte{run} nicht vollständig mit Ihrem Guthaben verrechnet werden. Gemäss "
        "Kreisschreiben KRS-GEF-2017/01, Ziffer 4.7, ist der Differenzbetrag innert 30 Tagen nach "
        f"Rechnungsstellung zurückzuerstatten, also bis am {date_ch(doc.due_date)}. Bitte verwenden Sie den "
        "untenstehenden QR-Einzahlungsschein mit der angegebenen Referenz.")
    letter.signature()
    top = PAGE_HEIGHT_MM - BILL_HEIGHT_MM
    if letter.get_y() > top - 2:
        letter.add_page()
    letter.bill_page = letter.page_no()
    svg = io.StringIO()
    bill.as_svg(svg)
    letter.image(io.BytesIO(svg.getvalue().encode("utf-8")), x=0, y=top, w=210)
    return letter.to_bytes()


def _formatted(reference: str) -> str:
    if reference.startswith("RF"):
        return iso11649.format(reference)
    return esr.format(reference)
