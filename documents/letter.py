"""The one letter layout of the canton (issue 15): letterhead, address block, place and date, subject,
paragraphs, tables, signature. Every PDF of the application is built on it, so they all look alike.

fpdf2's core fonts cannot print the de-CH thousands separator U+2019; the vendored DejaVu Sans can
(documents/fonts, Bitstream Vera licence). The fonts are subset to Latin, punctuation, currency and arrows
(`pyftsubset … --unicodes=U+0000-024F,U+02B0-02FF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,
U+25A0-25FF`): parsing the full font took 0.2 s per document, which a booking of 100 notices pays 100 times.
"""
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from core.text import without_rule_ids

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


@dataclass(frozen=True)
class Sender:
    """The canton as it appears on letters: from the canton settings (services.settings.canton_settings)."""

    letterhead: str
    name: str
    department: str
    street: str
    postcode: str
    town: str
    signature: str = ""

    @classmethod
    def from_settings(cls, values: dict[str, str]) -> "Sender":
        return cls(letterhead=values["canton.letterhead"], name=values["canton.name"],
                   department=values["canton.department"], street=values["canton.street"],
                   postcode=values["canton.postcode"], town=values["canton.town"],
                   signature=values["canton.signature"])

    @property
    def lines(self) -> list[str]:
        return [self.name, self.department, self.street, f"{self.postcode} {self.town}"]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[int]  # relative column widths
    align: str = ""  # one letter per column: L or R (default L)
    total: list[str] | None = None  # a bold last row
    notes: list[str] = field(default_factory=list)


CELL_CHUNK = 600  # characters of one table cell per row: an fpdf2 row must fit on one page


def _chunks(text: str) -> list[str]:
    """Long text in pieces of at most CELL_CHUNK characters, cut at spaces where possible."""
    pieces = []
    while len(text) > CELL_CHUNK:
        cut = text.rfind(" ", 0, CELL_CHUNK)
        cut = cut if cut > CELL_CHUNK // 2 else CELL_CHUNK
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    return [*pieces, text]


def _fitting_rows(rows):
    """A row with a very long cell (a 5,000-character remark) continues on further rows, nothing is cut off."""
    for values in rows:
        parts = [_chunks(without_rule_ids(str(value))) for value in values]
        for index in range(max(len(part) for part in parts)):
            yield [part[index] if index < len(part) else "" for part in parts]


class Letter(FPDF):
    """A4 portrait letter; call the building methods in reading order, then `output()` for the bytes."""

    def __init__(self, sender: Sender, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.sender = sender
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_author(sender.name)
        self.set_creator("start.integration")
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()
        self.add_page()

    def header(self):
        self.set_font(FONT, "B", 9)
        self.cell(0, 5, self.sender.letterhead, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(120, 120, 120)
        self.line(20, self.get_y() + 1, 190, self.get_y() + 1)
        self.ln(6)

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, "", 7.5)
        self.cell(0, 4, f"{self.sender.name}, {self.sender.department}, {self.sender.street}, "
                        f"{self.sender.postcode} {self.sender.town}", align="L")
        self.cell(0, 4, f"Seite {self.page_no()}/{{nb}}", align="R")

    def addresses(self, recipient_lines: list[str]) -> None:
        """Sender small at the top, the recipient in the window position (left, C5 window)."""
        self.set_font(FONT, "", 8)
        self.cell(0, 4, ", ".join(self.sender.lines), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self.set_font(FONT, "", 10)
        for line in recipient_lines:
            if line:
                self.cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(8)

    def to_municipality(self, name: str, bfs_nr: int, attention: str, day: date, subject: str) -> None:
        """The opening of every letter to a municipality: address (with whom it is for), place and date, subject."""
        self.addresses([f"Einwohnergemeinde {name}", attention, f"BFS-Nr. {bfs_nr}"])
        self.place_and_date(day)
        self.subject(subject)

    def place_and_date(self, day: date) -> None:
        self.set_font(FONT, "", 10)
        self.cell(0, 5, f"{self.sender.town}, {day:%d.%m.%Y}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(5)

    def subject(self, text: str) -> None:
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 6, without_rule_ids(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 5.5, without_rule_ids(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, 5, without_rule_ids(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        """Label/value lines, e.g. Gemeinde, Jahr, Betrag."""
        self.set_font(FONT, "B", 10)
        width = max([55] + [self.get_string_width(label) + 4 for label, _value in pairs])  # never overprinted
        for label, value in pairs:
            self.set_font(FONT, "B", 10)
            self.cell(width, 5.5, label)
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 5.5, without_rule_ids(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def table(self, spec: Table) -> None:
        self.set_font(FONT, "", 8.5)
        align = (spec.align or "L" * len(spec.headers)).ljust(len(spec.headers), "L")
        text_align = tuple("RIGHT" if a == "R" else "LEFT" for a in align)
        bold = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
        with super().table(col_widths=tuple(spec.widths), text_align=text_align, line_height=5,
                           headings_style=bold, first_row_as_headings=True, repeat_headings=1) as table:
            header = table.row()
            for text in spec.headers:
                header.cell(text)
            for values in _fitting_rows(spec.rows):
                row = table.row()
                for text in values:
                    row.cell(text)
            if spec.total:
                row = table.row()
                for text in spec.total:
                    row.cell(text, style=bold)
        for note in spec.notes:
            self.paragraph(note, size=8.5)
        self.ln(2)

    def signature(self) -> None:
        self.ln(4)
        self.paragraph("Freundliche Grüsse")
        if self.sender.signature:
            self.paragraph(self.sender.signature)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
