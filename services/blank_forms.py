"""Blank Anhang 2 (Reporting) and Anhang 3 (Selbstdeklaration) as Excel, to prepare offline (issue 18).

The form version valid for the period (R18) gives the fields, in order, with their help and allowed answers;
the "Ihre Angabe" column is left empty. Nothing is stored.
"""
import io

import xlsxwriter

from core.calendar import HalfYear
from models import FIELD_TYPES, FormField

from .errors import DomainError
from .submissions import declaration_version, report_version

TITLES = {"report": "Anhang 2: Reporting", "self_declaration": "Anhang 3: Selbstdeklaration"}


def blank_form(form_type: str, year: int) -> tuple[str, bytes]:
    """(filename, xlsx bytes) of the empty form valid in `year` (the report of its first half-year)."""
    if form_type == "report":
        version = report_version(HalfYear(year, 1))
    elif form_type == "self_declaration":
        version = declaration_version(year)
    else:
        raise DomainError("Unbekanntes Formular.")
    if version is None:
        raise DomainError(f"Für {year} gibt es keine gültige Formularversion.")
    fields = list(FormField.select().where(FormField.form_version == version.id).order_by(FormField.position))
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Formular")
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.write(0, 0, f"{TITLES[form_type]} {year}", workbook.add_format({"bold": True, "font_size": 14}))
    sheet.write(1, 0, f"Formularversion: {version.name}")
    sheet.write(2, 0, "Gemeinde:")
    headers = ["Nr.", "Frage", "Hinweis", "Art der Antwort", "Pflicht", "Ihre Angabe"]
    for column, header in enumerate(headers):
        sheet.write(4, column, header, bold)
    for row, field in enumerate(fields, start=5):
        kind = FIELD_TYPES.get(field.field_type, field.field_type)
        if field.field_type == "choice":
            kind += ": " + " / ".join(label for _, label in field.choice_pairs())
        elif field.field_type == "integer" and field.min_value is not None:
            kind += f" ab {field.min_value}"
        sheet.write_number(row, 0, field.position)
        sheet.write(row, 1, field.label, wrap)
        sheet.write(row, 2, field.help, wrap)
        sheet.write(row, 3, kind, wrap)
        sheet.write(row, 4, "ja" if field.required else "nein")
        sheet.write_blank(row, 5, None)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 2, 50)
    sheet.set_column(3, 3, 30)
    sheet.set_column(5, 5, 40)
    workbook.close()
    stem = "Anhang2_Reporting" if form_type == "report" else "Anhang3_Selbstdeklaration"
    return f"{stem}_{year}_leer.xlsx", buffer.getvalue()
