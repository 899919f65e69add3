"""Anhang 1 letter (R25, §4.5.3): "Beiträge an die Einwohnergemeinden für das Jahr Y", one per municipality.

Pure rendering: `Anhang1Letter` is built by services/letters.py from the same figures as the Excel export
(payouts.base_contributions.yearly_contributions), so letter and workbook agree.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.formatting import chf, number

from .letter import Letter, Sender, Table


@dataclass(frozen=True)
class TariffRow:
    label: str
    amount: Decimal
    valid_from: date
    valid_to: date | None
    reference: str


@dataclass(frozen=True)
class Anhang1Letter:
    year: int
    issued_on: date
    municipality: str  # "Kriegstetten"
    bfs_nr: int
    municipality_id: int
    foreign_residents: int | None  # on 31.12.(year−2), predecessors merged since included (R26); None: missing
    rate: Decimal | None  # base contribution per foreign resident valid on 01.01.year (R10)
    amount: Decimal | None
    tariffs: tuple[TariffRow, ...]

    @property
    def reference_date(self) -> date:
        return date(self.year - 2, 12, 31)


def title(letter: Anhang1Letter) -> str:
    return f"Beiträge an die Einwohnergemeinden für das Jahr {letter.year}"


def render(sender: Sender, data: Anhang1Letter) -> bytes:
    letter = Letter(sender, f"{title(data)} – {data.municipality}")
    letter.to_municipality(data.municipality, data.bfs_nr, "Integrationsbeauftragte/r und Finanzverwaltung",
                           data.issued_on, f"{title(data)} (Anhang 1)")
    letter.paragraph(f"Gemäss Kreisschreiben KRS-GEF-2017/01 (§4.3.2, §4.5.3) teilen wir Ihnen die Beiträge des "
                     f"Kantons an Ihre Gemeinde für das Jahr {data.year} mit: den Sockelbeitrag pro ausländische/n "
                     f"Einwohner/in nach dem Bestand per {data.reference_date:%d.%m.%Y} und die geltenden "
                     "Pauschalen.")
    reference = f"{data.reference_date:%d.%m.%Y}"
    if data.foreign_residents is None:
        count, amount = f"fehlt (Bestand per {reference} nicht erfasst, R10)", "wird nach Erfassung berechnet"
    else:
        count, amount = number(data.foreign_residents), "kein Tarif gültig (R6)"
        if data.amount is not None:
            amount = f"CHF {chf(data.amount)}"
    letter.facts([("Gemeinde", f"{data.municipality} (BFS-Nr. {data.bfs_nr})"),
                  (f"Ausländerbestand {reference}", count),
                  ("Ansatz pro Person", f"CHF {chf(data.rate)}" if data.rate is not None else "–"),
                  (f"Sockelbeitrag {data.year}", amount)])
    letter.paragraph(f"Der Sockelbeitrag {data.year} wird mit dem Auszahlungslauf per 31.03.{data.year} ausbezahlt, "
                     f"sobald die Selbstdeklaration {data.year} angenommen ist (R3, R12). Bei Fusionen sind die "
                     "Bestände der zusammengeschlossenen Gemeinden eingerechnet (R26).", size=9)
    letter.heading(f"Im Jahr {data.year} geltende Pauschalen")
    rows = [[tariff.label, chf(tariff.amount), f"{tariff.valid_from:%d.%m.%Y}",
             f"{tariff.valid_to:%d.%m.%Y}" if tariff.valid_to else "", tariff.reference] for tariff in data.tariffs]
    letter.table(Table(["Pauschale", "CHF", "gültig ab", "gültig bis", "Rechtsgrundlage"], rows or [["–"] * 5],
                       [34, 10, 13, 13, 40], "LRLLL"))
    letter.signature()
    return letter.to_bytes()
