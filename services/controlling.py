"""Controlling (issue 17; circular §4.3.3 yearly review of the rates, §4.3.4 budget, §5.3 controlling).

Read-only figures per half-year and year, for the canton, per district and per municipality:
interviews and interpreter assignments (accepted reports, R18), payouts by component (the payment
ledger, the one source of "what was paid", R7/R15), clawbacks offset (net), foreign residents (R10),
reporting punctuality (R2, R14) and the use of the budget (R17). Every figure is a GROUP BY in the
database, so the dashboard costs the same few queries for 106 or 2,131 municipalities.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from peewee import SQL, Case, Cast, NodeList, PostgresqlDatabase, Value, fn

from core.calendar import HalfYear, periods_between
from models import (
    Budget,
    ForeignPopulation,
    LedgerEntry,
    Municipality,
    PayoutLine,
    PayoutRun,
    Report,
    RunStatus,
    Status,
    db,
)
from payouts.inputs import (
    FIRST_INFO_INTERPRETER,
    FIRST_INFO_INTERVIEWS,
    INTEGRATION_INTERPRETER,
    INTEGRATION_INTERVIEWS,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The ledger's components (payouts.inputs.FEE_COMPONENTS and the base contribution), in display order.
COMPONENTS = {
    "case_first_info": "Fallpauschalen EG",
    "case_integration": "Fallpauschalen IG",
    "interpreter_first_info": "Dolmetschpauschalen EG",
    "interpreter_integration": "Dolmetschpauschalen IG",
    "base_contribution": "Sockelbeitrag",
}
FEES = tuple(c for c in COMPONENTS if c != "base_contribution")
DEFAULT_YEARS = 8  # 16 half-years
CANTON = "Kanton"


@dataclass
class Figures:
    """The figures of one unit (canton, district or municipality) for one half-year or year."""

    first_info: int = 0
    integration: int = 0
    interpreter: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0  # deadline passed, nothing filed (R2)
    pending: int = 0  # deadline not yet passed, nothing filed
    gross: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))
    offsets: Decimal = ZERO  # clawbacks offset in approved runs paid in the year (positive)
    residents: int | None = None  # foreign residents on 31.12.(Y−2), the base of the contribution of Y (R10)

    def add(self, other: "Figures") -> None:
        for name in ("first_info", "integration", "interpreter", "on_time", "late", "missing", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for component, amount in other.gross.items():
            self.gross[component] += amount
        self.offsets += other.offsets
        if other.residents is not None:
            self.residents = (self.residents or 0) + other.residents

    @property
    def interviews(self) -> int:
        return self.first_info + self.integration

    @property
    def gross_total(self) -> Decimal:
        return sum(self.gross.values(), ZERO)

    @property
    def fees_total(self) -> Decimal:
        return sum((self.gross[c] for c in FEES), ZERO)

    @property
    def net(self) -> Decimal:
        return self.gross_total - self.offsets

    @property
    def cost_per_interview(self) -> Decimal | None:
        """Case and interpreter fees paid for the period per interview held; None without either."""
        if not self.interviews or not self.fees_total:
            return None
        return (self.fees_total / self.interviews).quantize(CENT, ROUND_HALF_UP)

    @property
    def cost_per_resident(self) -> Decimal | None:
        """Everything paid for the year per foreign resident of its reference date (R10)."""
        if not self.residents or not self.gross_total:
            return None
        return (self.gross_total / self.residents).quantize(CENT, ROUND_HALF_UP)

    @property
    def filed(self) -> int:
        return self.on_time + self.late


@dataclass
class Series:
    """One unit's figures by half-year and by year."""

    key: object
    label: str
    first: int | None = None  # the years covered
    last: int | None = None
    halves: dict = field(default_factory=lambda: defaultdict(Figures))  # HalfYear -> Figures
    years: dict = field(default_factory=lambda: defaultdict(Figures))  # int -> Figures

    def add(self, other: "Series") -> None:
        for period, figures in other.halves.items():
            self.halves[period].add(figures)
        for year, figures in other.years.items():
            self.years[year].add(figures)


@dataclass
class BudgetUse:
    year: int
    credit: Decimal | None
    used: Decimal  # gross of the claim year in approved runs, as the budget page (R17)

    @property
    def share(self) -> Decimal | None:
        if not self.credit:
            return None
        return (self.used * 100 / self.credit).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def remaining(self) -> Decimal | None:
        return None if self.credit is None else self.credit - self.used


@dataclass
class Dashboard:
    first: int | None = None
    last: int | None = None
    district: str | None = None
    bounds: tuple[int, int] | None = None  # the years with data
    districts: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # form field -> German message
    units: list[Series] = field(default_factory=list)  # districts, or the municipalities of the district
    total: Series | None = None  # the canton, or the chosen district
    budgets: list[BudgetUse] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1)) if self.first is not None else []

    @property
    def halves(self) -> list[HalfYear]:
        if self.first is None:
            return []
        return periods_between(HalfYear(self.first, 1), HalfYear(self.last, 2))

    @property
    def ok(self) -> bool:
        return not self.errors and self.total is not None


def _json_count(key: str):
    """A report count (R18) summed in SQL from the JSON answers; absent or blank counts 0 as `Report.count`."""
    if isinstance(db.obj, PostgresqlDatabase):
        text = NodeList((Cast(Report.values_json, "json"), SQL("->>"), Value(key)), glue=" ")
    else:
        text = fn.json_extract(Report.values_json, f"$.{key}")
    return fn.COALESCE(Cast(fn.NULLIF(text, ""), "INTEGER"), 0)


def data_bounds() -> tuple[int, int] | None:
    """First and last year with a report or a ledger entry (one query)."""
    query = (Report.select(fn.MIN(Report.year), fn.MAX(Report.year))
             | LedgerEntry.select(fn.MIN(LedgerEntry.claim_year), fn.MAX(LedgerEntry.claim_year)))
    years = [y for row in query.tuples() for y in row if y is not None]
    return (min(years), max(years)) if years else None


def _year(text: str | None, label: str, bounds: tuple[int, int], errors: dict, name: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        errors[name] = f"{label}: bitte ein Jahr mit vier Ziffern angeben, z. B. {bounds[1]}."
        return None
    year = int(text)
    if not bounds[0] <= year <= bounds[1]:
        errors[name] = f"{label}: {year} liegt ausserhalb der Daten (vorhanden: {bounds[0]}–{bounds[1]})."
        return None
    return year


def all_municipalities():
    query = Municipality.select(Municipality.id, Municipality.bfs_nr, Municipality.name, Municipality.district,
                                Municipality.valid_from, Municipality.valid_to)
    return list(query.namedtuples())


def dashboard(von: str | None, bis: str | None, bezirk: str | None, today: date) -> Dashboard:
    """The dashboard for a year range and optionally one district; bad input gives `errors` and no figures."""
    municipalities = all_municipalities()
    result = Dashboard(districts=sorted({m.district for m in municipalities}), bounds=data_bounds())
    if result.bounds is None:
        result.errors["von"] = "Noch keine Daten: weder Reportings noch freigegebene Auszahlungen."
        return result
    lo, hi = result.bounds
    first = _year(von, "Von", result.bounds, result.errors, "von")
    last = _year(bis, "Bis", result.bounds, result.errors, "bis")
    district = (bezirk or "").strip() or None
    if district is not None and district not in result.districts:
        result.errors["bezirk"] = f"Den Bezirk «{district[:60]}» gibt es nicht."
    if result.errors:
        return result
    last = last or hi
    first = first or max(lo, min(last, hi) - DEFAULT_YEARS + 1)
    if first > last:
        result.errors["von"] = f"«Von» ({first}) liegt nach «Bis» ({last})."
        return result
    result.first, result.last, result.district = first, last, district
    if district is None:
        units = {name: Series(name, name) for name in result.districts}
        unit_of = {m.id: m.district for m in municipalities}
    else:
        chosen = sorted((m for m in municipalities if m.district == district), key=lambda m: m.bfs_nr)
        units = {m.id: Series(m.id, f"{m.bfs_nr} {m.name}") for m in chosen}
        unit_of = {m.id: m.id for m in chosen}
    fill(units, unit_of, [m for m in municipalities if m.id in unit_of], first, last, today,
          None if district is None else Municipality.district == district)
    result.units = list(units.values())
    result.total = Series(district or CANTON, f"Bezirk {district}" if district else "Kanton Solothurn")
    for unit in result.units:
        result.total.add(unit)
    result.budgets = budget_use(first, last)
    return result


def municipality_series(municipality: Municipality, today: date) -> Series | None:
    """One municipality's own figures over all years with data (its page and export; officers: R12)."""
    bounds = data_bounds()
    if bounds is None:
        return None
    series = Series(municipality.id, f"{municipality.bfs_nr} {municipality.name}", bounds[0], bounds[1])
    fill({municipality.id: series}, {municipality.id: municipality.id}, [municipality], bounds[0], bounds[1], today,
          Municipality.id == municipality.id)
    return series


def fill(units: dict, unit_of: dict, municipalities: list, first: int, last: int, today: date, where) -> None:
    """Five grouped queries (reports, ledger, offsets, residents) summed into `units` by `unit_of[municipality]`."""
    by_district = any(isinstance(k, str) for k in units)
    key = Municipality.district if by_district else Municipality.id

    def restrict(condition):
        return condition if where is None else condition & where

    periods = periods_between(HalfYear(first, 1), HalfYear(last, 2))
    # R2/R14: filed is submitted or accepted; the interviews are those of accepted reports (the reviewed figures)
    filed, accepted = Report.status.in_(Status.FILED), Report.status == Status.ACCEPTED
    late = Report.late == True  # noqa: E712 (SQL, not Python truthiness)
    reports = (Report.select(key, Report.year, Report.half,
                             fn.SUM(Case(None, [(accepted, _json_count(FIRST_INFO_INTERVIEWS))], 0)),
                             fn.SUM(Case(None, [(accepted, _json_count(INTEGRATION_INTERVIEWS))], 0)),
                             fn.SUM(Case(None, [(accepted, _json_count(FIRST_INFO_INTERPRETER)
                                                 + _json_count(INTEGRATION_INTERPRETER))], 0)),
                             fn.SUM(Case(None, [(filed & ~late, 1)], 0)), fn.SUM(Case(None, [(filed & late, 1)], 0)))
               .join(Municipality, on=Report.municipality == Municipality.id)
               .where(restrict(Report.year.between(first, last)))
               .group_by(key, Report.year, Report.half).tuples())
    for unit, year, half, first_info, integration, interpreter, on_time, late_count in reports:
        if unit not in units:
            continue
        for figures in (units[unit].halves[HalfYear(year, half)], units[unit].years[year]):
            figures.first_info += int(first_info or 0)
            figures.integration += int(integration or 0)
            figures.interpreter += int(interpreter or 0)
            figures.on_time += int(on_time or 0)
            figures.late += int(late_count or 0)
    # R2: a municipality existing in the half-year without a filed report is missing once the deadline passed
    existing = defaultdict(int)  # (unit, period) -> municipalities existing in it; most exist throughout
    throughout = defaultdict(int)
    for muni in municipalities:
        if (muni.valid_from is None or muni.valid_from <= periods[0].start) and \
                (muni.valid_to is None or muni.valid_to >= periods[-1].end):
            throughout[unit_of[muni.id]] += 1
            continue
        for period in periods:
            if (muni.valid_from is None or muni.valid_from <= period.end) and \
                    (muni.valid_to is None or muni.valid_to >= period.start):
                existing[(unit_of[muni.id], period)] += 1
    for unit_key, unit in units.items():
        for period in periods:
            figures = unit.halves[period]
            figures.pending = throughout[unit_key] + existing[(unit_key, period)]  # minus what was filed, below
            open_count = max(figures.pending - figures.filed, 0)
            figures.pending, figures.missing = (0, open_count) if period.deadline < today else (open_count, 0)
            unit.years[period.year].missing += figures.missing
            unit.years[period.year].pending += figures.pending
    money = LedgerEntry.amount.python_value
    ledger = (LedgerEntry.select(key, LedgerEntry.claim_year, LedgerEntry.component, fn.SUM(LedgerEntry.amount))
              .join(Municipality, on=LedgerEntry.municipality == Municipality.id)
              .where(restrict(LedgerEntry.claim_year.between(first, last)))
              .group_by(key, LedgerEntry.claim_year, LedgerEntry.component).tuples())
    for unit, year, component, amount in ledger:
        if unit in units:
            units[unit].years[year].gross[component] += money(amount or 0)
    offsets = (PayoutLine.select(key, PayoutRun.payout_date, fn.SUM(PayoutLine.amount))
               .join(PayoutRun, on=PayoutLine.run == PayoutRun.id)
               .switch(PayoutLine).join(Municipality, on=PayoutLine.municipality == Municipality.id)
               .where(restrict((PayoutLine.component == "clawback_offset") & PayoutRun.status.in_(RunStatus.SETTLED)
                               & PayoutRun.payout_date.between(date(first, 1, 1), date(last, 12, 31))))
               .group_by(key, PayoutRun.payout_date).tuples())
    for unit, payout_date, amount in offsets:
        if unit in units:
            units[unit].years[payout_date.year].offsets -= money(amount or 0)  # offset lines are negative
    references = [date(year - 2, 12, 31) for year in range(first, last + 1)]
    residents = (ForeignPopulation.select(key, ForeignPopulation.reference_date, fn.SUM(ForeignPopulation.count))
                 .join(Municipality, on=ForeignPopulation.municipality == Municipality.id)
                 .where(restrict(ForeignPopulation.reference_date.in_(references)))
                 .group_by(key, ForeignPopulation.reference_date).tuples())
    for unit, reference, count in residents:
        if unit in units:
            units[unit].years[reference.year + 2].residents = int(count or 0)


def budget_use(first: int, last: int) -> list[BudgetUse]:
    """R17, §4.3.4: the credit of each year against the gross credited to its claims (two queries)."""
    credits = {b.year: b.credit for b in Budget.select(Budget.year, Budget.credit)
               .where(Budget.year.between(first, last))}
    used = dict(LedgerEntry.select(LedgerEntry.claim_year, fn.SUM(LedgerEntry.amount))
                .where(LedgerEntry.claim_year.between(first, last)).group_by(LedgerEntry.claim_year).tuples())
    money = LedgerEntry.amount.python_value
    return [BudgetUse(year, credits.get(year), money(used.get(year) or 0)) for year in range(first, last + 1)]
