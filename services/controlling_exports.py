"""Excel downloads of the controlling (issue 17): the dashboard's tables, a municipality's series and the
tariff simulation with its inputs echoed. Typed cells like every export (services/exports.py): counts as
numbers, amounts as numbers formatted #,##0.00, text always as text."""
import io
from datetime import date

from models import TARIFF_KINDS

from .controlling import COMPONENTS, Dashboard, Series
from .exports import _Sheet, _workbook
from .simulation import BASES, Simulation

HALF_HEADERS = ["Einheit", "Jahr", "Halbjahr", "Erstinformationsgespräche", "Integrationsgespräche",
                "Dolmetscheinsätze", "Reportings fristgerecht", "Reportings verspätet", "Reportings fehlend",
                "Reportings offen (Frist läuft)"]
YEAR_HEADERS = ["Einheit", "Jahr", "Erstinformationsgespräche", "Integrationsgespräche", "Dolmetscheinsätze",
                *COMPONENTS.values(), "Beiträge brutto", "Verrechnete Rückforderungen", "Beiträge netto",
                "Ausländerbestand 31.12.(Jahr−2)", "Kosten pro Gespräch", "Kosten pro ausl. Einwohner/in",
                "Reportings fristgerecht", "Reportings verspätet", "Reportings fehlend"]


def _half_rows(sheet: _Sheet, series: Series, halves) -> None:
    for period in halves:
        f = series.halves[period]
        sheet.write([series.label, period.year, period.half, f.first_info, f.integration, f.interpreter, f.on_time,
                     f.late, f.missing, f.pending])


def _year_rows(sheet: _Sheet, series: Series, years) -> None:
    for year in years:
        f = series.years[year]
        sheet.write([series.label, year, f.first_info, f.integration, f.interpreter,
                     *(f.gross[c] for c in COMPONENTS), f.gross_total, f.offsets, f.net, f.residents,
                     f.cost_per_interview, f.cost_per_resident, f.on_time, f.late, f.missing])


def _book(title: str, filters: list[tuple[str, object]], series: list[Series], halves, years, budgets=()) -> bytes:
    buffer = io.BytesIO()
    book, formats = _workbook(buffer, title)
    half_sheet = _Sheet(book, "Halbjahre", HALF_HEADERS, [28, 7, 9, 14, 14, 14, 12, 12, 12, 14], formats)
    for unit in series:
        _half_rows(half_sheet, unit, halves)
    half_sheet.close_table()
    year_sheet = _Sheet(book, "Jahre", YEAR_HEADERS, [28, 7] + [14] * (len(YEAR_HEADERS) - 2), formats)
    for unit in series:
        _year_rows(year_sheet, unit, years)
    year_sheet.close_table()
    if budgets:
        sheet = _Sheet(book, "Budget", ["Jahr", "Kredit", "Beiträge brutto (Anspruchsjahr)", "Verbleibend",
                                        "Ausschöpfung %"], [7, 16, 22, 16, 14], formats)
        for use in budgets:
            sheet.write([use.year, use.credit, use.used, use.remaining,
                         use.share])
        sheet.close_table()
    about = _Sheet(book, "Filter", ["Angabe", "Wert"], [30, 40], formats)
    for label, value in filters:
        about.write([label, value])
    about.close_table()
    book.close()
    return buffer.getvalue()


def dashboard_xlsx(dashboard: Dashboard, today: date) -> bytes:
    """The dashboard's tables: its units (districts, or the municipalities of the district) and the total."""
    return _book(f"Controlling start.integration {dashboard.first}–{dashboard.last}",
                 [("Von", dashboard.first), ("Bis", dashboard.last), ("Bezirk", dashboard.district or "alle"),
                  ("Erstellt am", today)],
                 [*dashboard.units, dashboard.total], dashboard.halves, dashboard.years, dashboard.budgets)


def municipality_xlsx(series: Series, halves, years, today: date) -> bytes:
    return _book(f"Controlling {series.label}", [("Gemeinde", series.label), ("Erstellt am", today)],
                 [series], halves, years)


def simulation_xlsx(sim: Simulation, today: date) -> bytes:
    """The result per municipality with totals; the sheet «Eingaben» echoes what was simulated."""
    buffer = io.BytesIO()
    book, formats = _workbook(buffer, f"Tarifsimulation {sim.year}")
    headers = ["BFS-Nr", "Gemeinde", "Bezirk", "Erstinformationsgespräche", "Dolmetscheinsätze EG",
               "Integrationsgespräche", "Dolmetscheinsätze IG", f"Ausländerbestand 31.12.{sim.year - 2}",
               "Geltende Ansätze", "Simulierte Ansätze", "Differenz"]
    sheet = _Sheet(book, "Simulation", headers, [8, 26, 14, 14, 14, 14, 14, 16, 16, 16, 14], formats)
    for row in sim.rows:
        sheet.write([row.bfs_nr, row.name, row.district, row.counts.get("first_info_interviews", 0),
                     row.counts.get("first_info_interpreter", 0), row.counts.get("integration_interviews", 0),
                     row.counts.get("integration_interpreter", 0), row.residents, row.current, row.simulated,
                     row.difference])
    sheet.total(1, "Total", {8: sim.current_total, 9: sim.simulated_total, 10: sim.difference})
    inputs = _Sheet(book, "Eingaben", ["Angabe", "Simuliert", "Geltend am 01.01."], [50, 16, 18], formats)
    inputs.write(["Zieljahr", sim.year])
    inputs.write(["Mengenbasis", f"{BASES[sim.basis]}: {sim.basis_label}"])
    for kind, label in TARIFF_KINDS.items():
        inputs.write([label, sim.rates[kind], sim.current_rates.get(kind)])
    inputs.write(["Budget (Kredit)", sim.credit])
    inputs.write(["Total", sim.simulated_total, sim.current_total])
    inputs.write(["Budget minus Total", sim.against_budget(sim.simulated_total),
                  sim.against_budget(sim.current_total)])
    inputs.write(["Erstellt am", today])
    for note in sim.notes:
        inputs.write(["Hinweis", note])
    inputs.close_table()
    book.close()
    return buffer.getvalue()


