"""Read CSV (UTF-8, comma or semicolon) and XLSX (first sheet) into numbered rows; parse cells."""
import csv
import io
import re
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook

from core.text import text_problem

from .errors import DomainError

_DATE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_CH = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")


# Hard limits of an import file (issue 20): far above the canton's real data (2,131 municipalities × years),
# far below what a crafted file needs to exhaust the server.
MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_FIELD_BYTES = 10_000
TOO_LARGE = (f"Die Datei ist zu gross: höchstens {MAX_ROWS:,} Zeilen und {MAX_COLUMNS} Spalten "
             "(bitte aufteilen).").replace(",", "’")


class CellError(ValueError):
    """A cell that cannot be parsed; the message is German and names the column."""


def read_table(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (line number, row dict) pairs; line numbers as a spreadsheet shows them."""
    if not data.strip():
        raise DomainError("Die Datei ist leer.")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError("Die Datei ist keine gültige Excel-Datei (.xlsx).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError("Die Datei ist weder CSV in UTF-8 noch XLSX.") from exc
    if "\x00" in text:
        raise DomainError("Die Datei ist weder CSV in UTF-8 noch XLSX.")
    if not text.strip():  # e.g. only a byte-order mark
        raise DomainError("Die Datei ist leer.")
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if len(rows) >= MAX_ROWS or len(cells) > MAX_COLUMNS:
                raise DomainError(TOO_LARGE)
            if any(len(cell) > MAX_FIELD_BYTES for cell in cells):
                raise DomainError(f"Zeile {reader.line_num}: ein Feld ist länger als {MAX_FIELD_BYTES:,} Zeichen."
                                  .replace(",", "’"))
            rows.append(cells)
    except csv.Error as exc:  # e.g. a field over csv's own limit of 128 KB, or a NUL inside quotes
        raise DomainError(f"Die CSV-Datei ist fehlerhaft (Zeile {reader.line_num}): ein Feld ist zu lang oder "
                          "ein Anführungszeichen ist nicht geschlossen.") from exc
    header = [h.strip() for h in rows[0]]
    body = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        body.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}))
    return header, body


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: the declared sizes of all members are summed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DomainError("Die Excel-Datei kann nicht gelesen werden.") from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        raise DomainError(TOO_LARGE)


def _stream_rows(sheet):
    """Rows of the first sheet, streamed and capped; the sheet's declared `<dimension>` is ignored, so a
    file that claims A1:XFD64000 costs only what it contains (issue 20)."""
    sheet.reset_dimensions()
    for count, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if count > MAX_ROWS:
            raise DomainError(TOO_LARGE)
        cells = list(cells)
        while cells and cells[-1] is None:  # iter_rows pads every row to max_col
            cells.pop()
        yield cells


def _read_xlsx(data: bytes):
    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = list(_stream_rows(workbook.worksheets[0]))
        finally:
            workbook.close()
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl and defusedxml (XXE, entity bombs) raise many types
        raise DomainError("Die Excel-Datei kann nicht gelesen werden.") from exc
    if not rows:
        raise DomainError("Die Datei ist leer.")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    body = []
    for number, cells in enumerate(rows[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        body.append((number, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header)}))
    return header, body


def text(value, column: str, required: bool = True) -> str | None:
    result = "" if value is None else str(value).strip()
    if not result:
        if required:
            raise CellError(f"{column}: Wert fehlt.")
        return None
    problem = text_problem(result)  # the one text rule (issue 20): NFKC prefix check, no control characters
    if problem:
        raise CellError(f"{column}: {problem}")
    return result


def integer(value, column: str, required: bool = True, minimum: int | None = 0) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError(f"{column}: Wert fehlt.")
        return None
    if isinstance(value, bool):
        raise CellError(f"{column}: «{value}» ist keine ganze Zahl.")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"{column}: «{value}» ist keine ganze Zahl.")
        value = int(value)
    raw = str(value).strip().replace("’", "").replace("'", "")
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise CellError(f"{column}: «{value}» ist keine ganze Zahl.")
    number = int(raw)
    if minimum is not None and number < minimum:
        raise CellError(f"{column}: {number} ist kleiner als {minimum}.")
    return number


def day(value, column: str, required: bool = True) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = "" if value is None else str(value).strip()
    if not raw:
        if required:
            raise CellError(f"{column}: Datum fehlt.")
        return None
    try:
        if _DATE_ISO.match(raw):
            return date.fromisoformat(raw)
        if _DATE_CH.match(raw):
            d, m, y = (int(p) for p in raw.split("."))
            return date(y, m, d)
    except ValueError:
        raise CellError(f"{column}: «{raw}» ist kein gültiges Datum.") from None
    raise CellError(f"{column}: «{raw}» ist kein Datum (erwartet JJJJ-MM-TT oder TT.MM.JJJJ).")
