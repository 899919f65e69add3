"""Bestätigung der Einreichung (issue 15): a submitted report or self-declaration as the canton received it.

Replaces the browser print view, which printed "erstellt am  aus start.integration" without a date.
"""
from dataclasses import dataclass
from datetime import date, datetime

from core.formatting import date_ch

from .letter import Letter, Sender, Table


@dataclass(frozen=True)
class Confirmation:
    title: str  # "Reporting 2. Halbjahr 2025"
    municipality: str
    bfs_nr: int
    status: str  # German label (R22)
    submitted_at: datetime | None  # UTC
    submitted_by: str
    late: bool
    deadline: date
    form_version: str
    rows: tuple[tuple[str, str], ...]  # (field label of the document's own form version, value), R18
    history: tuple[tuple[datetime, str, str, str], ...]  # (at UTC, step, who, reason), R22
    issued_at: datetime  # UTC


def render(sender: Sender, data: Confirmation) -> bytes:
    letter = Letter(sender, f"Bestätigung {data.title} {data.municipality}")
    letter.to_municipality(data.municipality, data.bfs_nr, "", data.issued_at.date(),
                           f"Bestätigung der Einreichung: {data.title} – {data.municipality}")
    submitted = f"{date_ch(data.submitted_at)}" if data.submitted_at else "–"
    letter.facts([("Eingereicht am", submitted), ("Eingereicht von", data.submitted_by or "–"),
                  ("Frist", date_ch(data.deadline) + (" – verspätet eingereicht (R14)" if data.late else "")),
                  ("Status", data.status), ("Formular", data.form_version)])
    letter.table(Table(["Angabe", "Wert"], [[label, value] for label, value in data.rows] or [["–", "–"]], [3, 2]))
    if data.history:
        letter.heading("Verlauf")
        letter.table(Table(["Zeitpunkt", "Schritt", "Person", "Begründung"],
                           [[date_ch(at), step, who, reason] for at, step, who, reason in data.history],
                           [14, 16, 22, 30]))
    letter.paragraph(f"Bestätigung erstellt am {date_ch(data.issued_at)} aus start.integration, "
                     f"{sender.name}, {sender.department}.", size=8.5)
    return letter.to_bytes()
