"""Yearly feedback to a municipality (issue 17, circular §5.3): one page with its figures of a year next
to those of its district and of the canton. Pure rendering; services/controlling_reports.py supplies the rows."""
from dataclasses import dataclass
from datetime import date

from .letter import Letter, Sender, Table


@dataclass(frozen=True)
class FeedbackLetter:
    year: int
    issued_on: date
    municipality: str
    bfs_nr: int
    district: str
    rows: tuple[tuple[str, str, str, str], ...]  # label, municipality, district, canton (already formatted)
    notes: tuple[str, ...] = ()


def title(data: FeedbackLetter) -> str:
    return f"Rückmeldung Controlling {data.year} – start.integration"


def render(sender: Sender, data: FeedbackLetter) -> bytes:
    letter = Letter(sender, f"{title(data)} – {data.municipality}")
    letter.to_municipality(data.municipality, data.bfs_nr, "Integrationsbeauftragte/r", data.issued_on, title(data))
    letter.paragraph(f"Gemäss Kreisschreiben KRS-GEF-2017/01 (§5.3) erhalten Sie die Kennzahlen Ihrer Gemeinde "
                     f"für das Jahr {data.year}, neben jenen des Bezirks {data.district} und des Kantons. Die "
                     "Gespräche stammen aus den angenommenen Reportings, die Beiträge aus den freigegebenen "
                     "Auszahlungen (Zahlungsjournal, nach Anspruchsjahr).")
    letter.table(Table(["Kennzahl", data.municipality, f"Bezirk {data.district}", "Kanton"],
                       [list(row) for row in data.rows], [44, 20, 20, 20], align="LRRR",
                       notes=list(data.notes)))
    letter.paragraph("Für Fragen steht Ihnen die Koordinationsstelle Integration gerne zur Verfügung.")
    letter.signature()
    return letter.to_bytes()
