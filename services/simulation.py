"""Tariff simulator (issue 17, circular §4.3.3: the canton reviews the flat rates yearly; §4.3.4 budget).

What would a year cost at other rates? The volumes of a basis (the last two reported half-years, or a
chosen year) are priced with `payouts.rules.fee_items`, the one fee calculation, once at the chosen rates
and once at the rates in force on the target half-years' first days (R6); the base contribution is the
count of 31.12.(Y−2) as in Anhang 1 (`yearly_contributions`, R10, R26) times the rate. Nothing is written.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.calendar import HalfYear
from models import TARIFF_KINDS, Budget, Municipality, Report, Status, Tariff
from payouts.base_contributions import yearly_contributions
from payouts.inputs import BASE_KIND, COUNT_KEYS
from payouts.loader import load_base_inputs
from payouts.rules import fee_items

from .errors import DomainError

ZERO = Decimal("0.00")
RATE_MAX = Decimal("10000")  # issue 17: a rate above Fr. 10'000 is absurd
BASES = {"last_two": "die letzten zwei gemeldeten Halbjahre", "year": "ein gewähltes Jahr"}
YEAR_MIN, YEAR_MAX = 2017, 2100


@dataclass(frozen=True)
class Rate:
    """A simulated tariff: what `fee_items` needs of a tariff."""

    amount: Decimal
    valid_from: date
    reference: str = "Simulation"


@dataclass
class Row:
    bfs_nr: int
    name: str
    district: str
    counts: dict  # report key -> quantity over the basis (R18)
    residents: int | None  # 31.12.(Y−2); None: missing (R10)
    current: Decimal = ZERO
    simulated: Decimal = ZERO
    by_half: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))  # half -> key -> quantity

    @property
    def difference(self) -> Decimal:
        return self.simulated - self.current


@dataclass
class Simulation:
    year: int
    rates: dict  # kind -> Decimal (the chosen ones)
    current_rates: dict  # kind -> Decimal | None (in force on 01.01. of the year)
    basis: str
    basis_periods: list[HalfYear]
    rows: list[Row] = field(default_factory=list)
    credit: Decimal | None = None  # the year's budget (§4.3.4)
    notes: list[str] = field(default_factory=list)

    @property
    def current_total(self) -> Decimal:
        return sum((r.current for r in self.rows), ZERO)

    @property
    def simulated_total(self) -> Decimal:
        return sum((r.simulated for r in self.rows), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.simulated_total - self.current_total

    def against_budget(self, total: Decimal) -> Decimal | None:
        return None if self.credit is None else self.credit - total

    @property
    def basis_label(self) -> str:
        return ", ".join(p.label for p in self.basis_periods)


def check_rate(kind: str, rate: Decimal | None) -> str | None:
    """The German message for a rate that cannot be simulated, or None."""
    label = TARIFF_KINDS[kind]
    if rate is None:
        return f"{label}: bitte einen Ansatz in CHF angeben."
    if rate < 0:
        return f"{label}: ein Ansatz kann nicht negativ sein."
    if rate > RATE_MAX:
        return f"{label}: mehr als CHF 10’000 ist kein plausibler Ansatz."
    return None


def current_rates(year: int) -> dict[str, Decimal | None]:
    """The rates in force on 01.01. of `year` (R6), per tariff kind; None where none is valid."""
    rates: dict[str, Decimal | None] = dict.fromkeys(TARIFF_KINDS)
    for tariff in Tariff.select().where(Tariff.covering(date(year, 1, 1))):
        rates[tariff.kind] = tariff.amount
    return rates


def _basis_periods(basis: str, basis_year: int | None) -> list[HalfYear]:
    accepted = Report.status == Status.ACCEPTED
    if basis == "year":
        if basis_year is None:
            raise DomainError("Bitte das Jahr der Mengenbasis angeben.")
        if not Report.select().where(accepted & (Report.year == basis_year)).exists():
            raise DomainError(f"Für {basis_year} liegen keine angenommenen Reportings vor; bitte ein Jahr mit "
                              "Daten wählen.")
        return [HalfYear(basis_year, 1), HalfYear(basis_year, 2)]
    periods = [HalfYear(y, h) for y, h in Report.select(Report.year, Report.half).where(accepted).distinct()
               .order_by(Report.year.desc(), Report.half.desc()).limit(2).tuples()]
    if not periods:
        raise DomainError("Es liegen noch keine angenommenen Reportings vor; ohne Mengen keine Simulation.")
    return sorted(periods)


def simulate(year: int, rates: dict[str, Decimal], basis: str, basis_year: int | None = None) -> Simulation:
    """Price the basis volumes for `year` at `rates` and at the current rates; writes nothing."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DomainError(f"Zieljahr {year}: bitte ein Jahr zwischen {YEAR_MIN} und {YEAR_MAX} angeben.")
    if basis not in BASES:
        raise DomainError("Bitte die Mengenbasis wählen.")
    problems = [p for p in (check_rate(kind, rates.get(kind)) for kind in TARIFF_KINDS) if p]
    if problems:
        raise DomainError(" ".join(problems))
    periods = _basis_periods(basis, basis_year)
    current = current_rates(year)
    result = Simulation(year, dict(rates), current, basis, periods)
    municipalities = {m.id: m for m in Municipality.select(Municipality.id, Municipality.bfs_nr, Municipality.name,
                                                           Municipality.district, Municipality.successor)}
    base_rows = yearly_contributions(load_base_inputs(year), year)
    rows = {muni.id: Row(muni.bfs_nr, muni.name, municipalities[muni.id].district, defaultdict(int), count)
            for muni, count, _amount in base_rows}
    # R26: the volumes of a municipality merged since count for its successor in the target year
    for report in Report.select(Report.municipality, Report.year, Report.half, Report.values_json).where(
            (Report.status == Status.ACCEPTED)
            & Report.year.in_(sorted({p.year for p in periods}))):
        if HalfYear(report.year, report.half) not in periods:
            continue
        target = report.municipality_id
        while target not in rows and municipalities[target].successor_id is not None:
            target = municipalities[target].successor_id
        if target not in rows:
            note = f"{municipalities[target].name}: im Jahr {year} nicht mehr gültig, Mengen nicht berücksichtigt."
            if note not in result.notes:
                result.notes.append(note)
            continue
        for key in COUNT_KEYS:
            rows[target].counts[key] += report.count(key)
            rows[target].by_half[report.half][key] += report.count(key)
    tariffs = list(Tariff.select())

    def in_force(kind: str, day: date):
        """R6: the tariff valid on the first day of the target half-year."""
        return next((t for t in tariffs if t.kind == kind and t.covers(day)), None)

    chosen = {kind: Rate(amount, date(year, 1, 1)) for kind, amount in rates.items()}
    base_tariff = in_force(BASE_KIND, date(year, 1, 1))
    missing_kinds = set()
    for row in rows.values():
        for half, counts in sorted(row.by_half.items()):
            # the basis half-year's volumes priced in the same half of the target year (R8, R9 via fee_items)
            period = HalfYear(year, half)
            for item in fee_items(lambda key, c=counts: c.get(key, 0), period, lambda kind, _day: chosen.get(kind)):
                row.simulated += item.amount
            for item in fee_items(lambda key, c=counts: c.get(key, 0), period, in_force):
                if item.amount is None:
                    missing_kinds.add(item.kind)
                else:
                    row.current += item.amount
        if row.residents is not None:  # R10: rate × foreign residents on 31.12.(Y−2)
            row.simulated += chosen[BASE_KIND].amount * row.residents
            if base_tariff is not None:
                row.current += base_tariff.amount * row.residents
            else:
                missing_kinds.add(BASE_KIND)
    missing_counts = [r.name for r in rows.values() if r.residents is None]
    if missing_counts:
        result.notes.append(f"Ausländerbestand per 31.12.{year - 2} fehlt für {len(missing_counts)} Gemeinde(n) "
                            f"(z. B. {', '.join(missing_counts[:3])}); ohne Bestand kein Sockelbeitrag (R10).")
    for kind in sorted(missing_kinds):
        result.notes.append(f"Kein geltender Tarif «{TARIFF_KINDS[kind]}» am 01.01.{year}: bei den geltenden "
                            "Ansätzen als 0 gerechnet (R6).")
    result.rows = sorted(rows.values(), key=lambda r: r.bfs_nr)
    budget = Budget.get_or_none(Budget.year == year)
    result.credit = budget.credit if budget else None
    return result
