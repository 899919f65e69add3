"""What the controlling draws and writes (issue 17): the charts beside its tables and the yearly feedback
letter of a municipality (§5.3); the figures come from services/controlling.py."""
from datetime import date
from decimal import Decimal

from auth.policy import require
from core.calendar import HalfYear
from core.formatting import chf, number
from documents import charts, feedback
from models import Municipality

from .controlling import CANTON, COMPONENTS, Figures, Series, all_municipalities, data_bounds, fill
from .errors import DomainError
from .letters import sender

CHARTS = {"verlauf": "Gespräche pro Halbjahr", "komponenten": "Beiträge nach Komponente und Jahr (brutto)",
          "puenktlichkeit": "Pünktlichkeit der Reportings pro Halbjahr"}


def chart(name: str, total: Series, units: list[Series], halves: list[HalfYear], years: list[int]) -> bytes:
    """One of CHARTS as SVG: the same figures as the table beside it."""
    half_labels = [f"{p.year} H{p.half}" for p in halves]
    if name == "verlauf":
        if units and len(units) <= 12:  # one line per district (or per municipality of a small district)
            series = [(u.label, [u.halves[p].interviews for p in halves]) for u in units]
        else:
            series = [("Erstinformationsgespräche", [total.halves[p].first_info for p in halves]),
                      ("Integrationsgespräche", [total.halves[p].integration for p in halves]),
                      ("Dolmetscheinsätze", [total.halves[p].interpreter for p in halves])]
        return charts.line(f"{CHARTS[name]} – {total.label}", "Anzahl", half_labels, series)
    if name == "komponenten":
        series = [(label, [float(total.years[y].gross[c]) for y in years]) for c, label in COMPONENTS.items()]
        return charts.stacked_bar(f"{CHARTS[name]} – {total.label}", "CHF", [str(y) for y in years], series)
    if name == "puenktlichkeit":
        series = [("fristgerecht", [total.halves[p].on_time for p in halves]),
                  ("verspätet", [total.halves[p].late for p in halves]),
                  ("fehlend", [total.halves[p].missing for p in halves])]
        return charts.stacked_bar(f"{CHARTS[name]} – {total.label}", "Reportings", half_labels, series)
    raise DomainError(f"Das Diagramm «{name[:40]}» gibt es nicht.")


def year_rows(figures: Figures, year: int) -> list[tuple[str, object]]:
    """The figures of a year as (label, value) pairs: the feedback letter's rows and the exports' columns."""
    return [
        ("Erstinformationsgespräche", figures.first_info),
        ("Integrationsgespräche", figures.integration),
        ("Dolmetscheinsätze", figures.interpreter),
        ("Reportings fristgerecht", figures.on_time),
        ("Reportings verspätet", figures.late),
        ("Reportings fehlend", figures.missing),
        *((f"{label} (brutto)", figures.gross[component]) for component, label in COMPONENTS.items()),
        ("Beiträge brutto", figures.gross_total),
        ("Verrechnete Rückforderungen", figures.offsets),
        ("Beiträge netto", figures.net),
        (f"Ausländerbestand 31.12.{year - 2}", figures.residents),
        ("Kosten pro Gespräch", figures.cost_per_interview),
        ("Kosten pro ausl. Einwohner/in", figures.cost_per_resident),
    ]


def _formatted(value) -> str:
    if value is None:
        return "–"
    return chf(value) if isinstance(value, Decimal) else number(value)


def feedback_pdf(user, municipality: Municipality, year: int, today: date) -> tuple[str, bytes]:
    """§5.3: the one-page feedback of a municipality for a year, beside its district and the canton."""
    require(user, "controlling.municipality", municipality)
    bounds = data_bounds()
    if bounds is None or not bounds[0] <= year <= bounds[1]:
        known = f" (vorhanden: {bounds[0]}–{bounds[1]})" if bounds else ""
        raise DomainError(f"Für {year} liegen keine Daten vor{known}.")
    everyone = all_municipalities()
    districts = {name: Series(name, name) for name in {m.district for m in everyone}}
    fill(districts, {m.id: m.district for m in everyone}, everyone, year, year, today, None)
    canton = Series(CANTON, "Kanton")
    for unit in districts.values():
        canton.add(unit)
    own = Series(municipality.id, municipality.name)
    fill({municipality.id: own}, {municipality.id: municipality.id},
          [m for m in everyone if m.id == municipality.id], year, year, today, Municipality.id == municipality.id)
    district = districts[municipality.district]
    rows = tuple((label, _formatted(mine), _formatted(theirs), _formatted(all_))
                 for (label, mine), (_l, theirs), (_l2, all_) in zip(
                     year_rows(own.years[year], year), year_rows(district.years[year], year),
                     year_rows(canton.years[year], year), strict=True))
    data = feedback.FeedbackLetter(year, today, municipality.name, municipality.bfs_nr, municipality.district, rows,
                                   ("Beträge in CHF. Kosten pro Gespräch: Fall- und Dolmetschpauschalen des Jahres "
                                    "pro Gespräch; pro ausländische/n Einwohner/in: alle Beiträge des Jahres pro "
                                    f"Person im Bestand per 31.12.{year - 2} (R10). Fehlend: Frist abgelaufen, "
                                    "kein Reporting eingereicht (R2).",))
    return f"Rueckmeldung_{year}_{municipality.bfs_nr}.pdf", feedback.render(sender(), data)
