"""Auszahlungsanzeige (issue 15): what one payee receives from one booked run, line by line (R8–R16).

Pure rendering: `PayoutNotice` is built by services/letters.py from the run's frozen lines and bank data.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.formatting import chf, iban_masked, number

from .letter import Letter, Sender, Table


@dataclass(frozen=True)
class NoticeLine:
    municipality: str  # "2601 Solothurn"
    component: str  # German label of the component
    period: str  # "2026-H1", "2026"
    quantity: int | None
    rate: Decimal | None
    amount: Decimal
    explanation: str  # the line's sentence, as on the run page (payouts.index.explained)


@dataclass(frozen=True)
class PayoutNotice:
    run_id: int
    value_date: date  # the payout date of the run (R4)
    issued_on: date
    payee: str  # "Einwohnergemeinde Grenchen"
    payee_bfs: int
    creditor_number: str | None
    iban: str | None  # frozen with the run (RunPayee); printed masked
    total: Decimal  # the net payout of the run to this payee
    lines: tuple[NoticeLine, ...]
    contract: str = ""  # "Zusammenarbeitsvertrag …" when the payee is paid for members (R13)
    draft: bool = False  # a preview of a run not yet approved: marked ENTWURF


def title(notice: PayoutNotice) -> str:
    draft = "ENTWURF – " if notice.draft else ""
    return f"{draft}Auszahlungsanzeige start.integration per {notice.value_date:%d.%m.%Y}"


def render(sender: Sender, notice: PayoutNotice) -> bytes:
    """The notice as PDF bytes: lines by municipality and component, their explanations, total, value date."""
    letter = Letter(sender, title(notice))
    letter.to_municipality(notice.payee, notice.payee_bfs, "Finanzverwaltung und Integrationsbeauftragte/r",
                           notice.issued_on, title(notice))
    letter.paragraph(f"Der Kanton überweist Ihnen mit dem Auszahlungslauf per {notice.value_date:%d.%m.%Y} die "
                     "Beiträge gemäss Kreisschreiben KRS-GEF-2017/01 (start.integration). Die Zusammensetzung "
                     "sehen Sie unten; jede Zeile ist im Anschluss begründet.")
    letter.facts([("Empfänger", f"Einwohnergemeinde {notice.payee}"),
                  ("Kreditoren-Nr.", notice.creditor_number or "–"),
                  ("Konto (IBAN)", iban_masked(notice.iban)),
                  ("Valuta", f"{notice.value_date:%d.%m.%Y}"),
                  ("Auszahlung", f"CHF {chf(notice.total)}"),
                  ("Lauf", f"Nr. {notice.run_id}")])
    if notice.contract:
        letter.paragraph(notice.contract, size=9)
    rows = [[line.municipality, line.component, line.period,
             "" if line.quantity is None else number(line.quantity),
             "" if line.rate is None else chf(line.rate), chf(line.amount)] for line in notice.lines]
    letter.table(Table(["Gemeinde", "Komponente", "Periode", "Anzahl", "Ansatz CHF", "Betrag CHF"], rows,
                       [26, 36, 13, 11, 16, 17], "LLLRRR", total=["Total", "", "", "", "", chf(notice.total)]))
    if notice.lines:
        letter.heading("Begründung der Zeilen")
        for number_, line in enumerate(notice.lines, start=1):
            letter.paragraph(f"{number_}. {line.municipality}: {line.explanation}", size=8.5)
    else:
        letter.paragraph("Dieser Lauf enthält keine auszuzahlenden Zeilen für Sie.")
    if notice.total > 0:
        letter.paragraph(f"Der Betrag von CHF {chf(notice.total)} wird mit Valuta {notice.value_date:%d.%m.%Y} auf "
                         f"das Konto {iban_masked(notice.iban)} überwiesen.")
    else:  # everything offset against clawbacks (R16): nothing is transferred
        letter.paragraph("Aus diesem Lauf wird Ihnen nichts überwiesen: die Gutschriften sind mit Rückforderungen "
                         "verrechnet (R16, §4.7).")
    letter.signature()
    return letter.to_bytes()
