"""The one letter layout: what is printed can be read back, de-CH amounts included (issue 15)."""
import io
from datetime import date

import pypdf

from documents.letter import Letter, Sender, Table
from services.settings import CANTON_SETTINGS

SENDER = Sender.from_settings({key: default for key, (_label, default) in CANTON_SETTINGS.items()})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_letter_prints_sender_recipient_date_and_de_ch_amounts():
    letter = Letter(SENDER, "Probe")
    letter.addresses(["Einwohnergemeinde Grenchen", "Finanzverwaltung", "2540 Grenchen"])
    letter.place_and_date(date(2026, 3, 31))
    letter.subject("Auszahlungsanzeige")
    letter.paragraph("Total CHF 12’345.60 für Integrationsgespräche – «Ärzte» & Söhne")
    letter.signature()
    text = pdf_text(letter.to_bytes())
    for expected in ("Einwohnergemeinde Grenchen", "Solothurn, 31.03.2026", "Auszahlungsanzeige",
                     "12’345.60", "«Ärzte» & Söhne", "Freundliche Grüsse", SENDER.signature, "Seite 1/1"):
        assert expected in text


def test_long_tables_break_over_pages_with_their_headings_and_total():
    letter = Letter(SENDER, "Probe")
    rows = [[f"Gemeinde {n}", str(n), f"{n}.00"] for n in range(120)]
    letter.table(Table(["Gemeinde", "Anzahl", "Betrag"], rows, [3, 1, 1], "LRR", total=["Total", "", "7’140.00"]))
    reader = pypdf.PdfReader(io.BytesIO(letter.to_bytes()))
    assert len(reader.pages) > 1
    assert all("Gemeinde" in page.extract_text() for page in reader.pages)  # headings repeated
    text = pdf_text(letter.to_bytes())
    assert "Gemeinde 119" in text and "7’140.00" in text
