"""The payout rules R4–R17 and R26 as pure functions: inputs in, explained lines out.

No Flask, no peewee: `compute(RunInputs)` is deterministic, so preparing twice gives identical lines.
"""
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from core.formatting import chf, number

from core.calendar import HalfYear, base_contribution_year, fee_period, periods_between
from .inputs import (
    BASE_KIND,
    FEE_COMPONENTS,
    Contract,
    FeeItem,
    InvoiceDraft,
    Issue,
    Line,
    Municipality,
    RunInputs,
    RunResult,
    Tariff,
)

ZERO = Decimal("0.00")
CIRCULAR = "KRS-GEF-2017/01"
INVOICE_DUE_DAYS = 30  # R16


def invoice_due(invoice_date: date) -> date:
    return invoice_date + timedelta(days=INVOICE_DUE_DAYS)


class _Index:
    """Lookups over the inputs, built once per computation (no per-municipality queries)."""

    def __init__(self, inp: RunInputs):
        self.inp = inp
        self.municipalities = {m.id: m for m in inp.municipalities}
        self.predecessors: dict[int, list[Municipality]] = defaultdict(list)
        for m in inp.municipalities:
            if m.successor_id:
                self.predecessors[m.successor_id].append(m)
        self.tariffs: dict[str, list[Tariff]] = defaultdict(list)
        for t in inp.tariffs:
            self.tariffs[t.kind].append(t)
        self.assignments = defaultdict(list)
        for a in inp.assignments:
            self.assignments[a.municipality_id].append(a)
        self.memberships: dict[int, list[tuple[Contract, object]]] = defaultdict(list)
        for c in inp.contracts:
            for member in c.members:
                self.memberships[member.municipality_id].append((c, member))
        self.population = {(p.municipality_id, p.reference_date): p.count for p in inp.population}
        self.declarations = {(d.municipality_id, d.year): d for d in inp.self_declarations}
        self.refusals = {d.report_id: d for d in inp.decisions if d.kind == "refuse_late_report" and d.report_id}
        self.reports = {(r.municipality_id, r.period): r for r in inp.reports}
        self.paid_by_report: dict[int, list] = defaultdict(list)
        self.paid_base: set[tuple[int, str]] = set()
        for line in inp.paid:
            if line.report_id is not None:
                self.paid_by_report[line.report_id].append(line)
            if line.component == "base_contribution":
                self.paid_base.add((line.municipality_id, line.period))

    def tariff(self, kind: str, day: date) -> Tariff | None:
        """R6: the tariff valid on the first day of the period."""
        valid = [t for t in self.tariffs[kind] if t.covers(day)]
        return max(valid, key=lambda t: t.valid_from) if valid else None

    def contract_on(self, municipality_id: int, day: date) -> Contract | None:
        for contract, member in self.memberships[municipality_id]:
            if member.covers(day):
                return contract
        return None

    def contract_for_period(self, municipality_id: int, start: date, end: date) -> Contract | None:
        return self.contract_on(municipality_id, start) or self.contract_on(municipality_id, end)

    def payee(self, municipality: Municipality, contract: Contract | None) -> Municipality:
        """R13 (lead or member) and R26 (an abolished payee's dues go to its successor)."""
        payee = municipality
        if contract is not None and contract.payee == "lead":
            payee = self.municipalities[contract.lead_id]
        seen = set()
        while payee.valid_to and payee.valid_to < self.inp.payout_date and payee.successor_id and payee.id not in seen:
            seen.add(payee.id)
            payee = self.municipalities[payee.successor_id]
        return payee

    def ineligibility(self, unit: Municipality, start: date, end: date, settled_by: date) -> list[str]:
        """R12 (a), (b) for the responsible unit over [start, end]."""
        reasons = []
        if unit.organisation_settled_on is None or unit.organisation_settled_on > settled_by:
            reasons.append(f"Organisation von {unit.name} nicht geregelt (R12 a)")
        if not any(a.overlaps(start, end) for a in self.assignments[unit.id]):
            reasons.append(f"{unit.name} hatte keine/n aktive/n Integrationsbeauftragte/n (R12 b)")
        return reasons


def fee_items(count: Callable[[str], int], period: HalfYear,
              tariff_for: Callable[[str, date], object | None]) -> list[FeeItem]:
    """R8, R9 with R6: each fee component with a count, at the tariff valid on the period's first day.

    The one fee calculation: the run's lines and the submission preview both come from here.
    """
    items = []
    for component, (key, kind, rule, label) in FEE_COMPONENTS.items():
        quantity = count(key)
        if quantity == 0:
            continue
        tariff = tariff_for(kind, period.start)
        items.append(FeeItem(component, key, kind, rule, label, quantity, tariff,
                             tariff.amount * quantity if tariff is not None else None))
    return items


def compute(inp: RunInputs) -> RunResult:
    """All lines of the run for `inp.payout_date` with blockers, withheld items and invoices."""
    fee_period(inp.payout_date)  # refuses a date that is not a payout date (R4)
    index = _Index(inp)
    lines: list[Line] = []
    blockers: list[Issue] = []
    withheld: list[Issue] = []
    _fees(index, lines, blockers, withheld)
    _base_contributions(index, lines, blockers, withheld)
    invoices = _offsets(index, lines)
    return RunResult(lines=lines, blockers=_unique(blockers), withheld=_unique(withheld), invoices=invoices)


def _unique(issues: list[Issue]) -> list[Issue]:
    return list(dict.fromkeys(issues))


def _window(inp: RunInputs) -> list[HalfYear]:
    """Half-years this run may pay: from the first run in the system up to the run's own (R4, R14)."""
    first_run = min(inp.first_run_date or inp.payout_date, inp.payout_date)
    return periods_between(fee_period(first_run), fee_period(inp.payout_date))


def _fees(index: _Index, lines, blockers, withheld) -> None:
    inp = index.inp
    window = _window(inp)
    current = window[-1]
    for period in window:
        for muni in inp.municipalities:
            if not muni.overlaps(period.start, period.end):
                continue
            report = index.reports.get((muni.id, period))
            if report is None or report.status in ("draft", "returned"):
                state = "fehlt" if report is None else ("ist ein Entwurf" if report.status == "draft"
                                                        else "ist zur Korrektur zurückgewiesen")
                withheld.append(Issue("missing_report", muni.id, f"Reporting {period.label} von {muni.name} {state}; "
                                      "es wird nach der Annahme im nächsten Lauf bezahlt (R14).", "R14",
                                      report.id if report else None))
                continue
            if report.status == "submitted":
                blockers.append(Issue("unreviewed_report", muni.id, f"Reporting {period.label} von {muni.name} ist "
                                      "eingereicht, aber noch nicht geprüft (annehmen oder zurückweisen).", "R22",
                                      report.id))
                continue
            if report.id in index.paid_by_report:
                _corrections(index, muni, report, lines, blockers)
                continue
            if report.id in index.refusals:
                decision = index.refusals[report.id]
                withheld.append(Issue("refused_late", muni.id, f"Reporting {period.label} von {muni.name}: Zahlung "
                                      f"verweigert (verspätet). Begründung: {decision.reason}", "R14", report.id))
                continue
            _report_lines(index, muni, report, period, period != current, lines, blockers, withheld)


def _report_lines(index, muni, report, period, carried, lines, blockers, withheld) -> None:
    contract = index.contract_for_period(muni.id, period.start, period.end)
    unit = index.municipalities[contract.lead_id] if contract else muni
    payee = index.payee(muni, contract)
    reasons = index.ineligibility(unit, period.start, period.end, settled_by=period.end)
    for reason in reasons:
        withheld.append(Issue("not_eligible", muni.id, f"{muni.name}, {period.label}: {reason}.", "R12"))
    prefix = f"Nachzahlung für das angenommene Reporting {period.label} (R14): " if carried else ""
    if report.late:
        prefix += "verspätet eingereicht, bezahlt (R14); "
    for item in fee_items(report.count, period, index.tariff):
        component, rule, label, quantity, tariff = item.component, item.rule, item.label, item.quantity, item.tariff
        if tariff is None:
            blockers.append(Issue("missing_tariff", muni.id, f"Kein Tarif «{item.kind}» gültig am "
                                  f"{period.start:%d.%m.%Y} für {number(quantity)} {label} von {muni.name} (R6).",
                                  "R6", report.id))
            lines.append(Line(muni.id, payee.id, component, period.code, quantity, None, ZERO, "blocked", "R6",
                              f"{number(quantity)} {label} im {period.label}: kein gültiger Tarif am "
                              f"{period.start:%d.%m.%Y}; blockiert, nicht als 0 bezahlt (R6).", report.id))
            continue
        status = "withheld" if reasons else "payable"
        text = (f"{prefix}{number(quantity)} {label} im {period.label} × CHF {chf(tariff.amount)} "
                f"(Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, {tariff.reference}) = CHF {chf(item.amount)} "
                f"({rule})")
        if reasons:
            text += "; zurückbehalten: " + "; ".join(reasons)
        if payee.id != muni.id:
            text += f"; ausbezahlt an {payee.name} (R13/R26)"
        lines.append(Line(muni.id, payee.id, component, period.code, quantity, tariff.amount, item.amount, status,
                          rule if not carried else f"{rule}, R14", text + ".", report.id))


def _corrections(index, muni, report, lines, blockers) -> None:
    """R15: a paid report that changed yields the difference as a ± line (at the rate it was paid with)."""
    period = report.period
    contract = index.contract_for_period(muni.id, period.start, period.end)
    payee = index.payee(muni, contract)
    paid = index.paid_by_report[report.id]
    for component, (key, kind, _rule, label) in FEE_COMPONENTS.items():
        related = [p for p in paid if p.component == component
                   or (p.component == "correction" and p.period == f"{period.code}:{component}")]
        paid_quantity = sum((p.quantity or 0) * (1 if p.amount >= 0 else -1) for p in related)
        delta = report.count(key) - paid_quantity
        if delta == 0:
            continue
        original = next((p for p in related if p.component == component and p.rate is not None), None)
        tariff = index.tariff(kind, period.start)
        rate = original.rate if original else (tariff.amount if tariff else None)
        if rate is None:
            blockers.append(Issue("missing_tariff", muni.id, f"Kein Tarif «{kind}» gültig am "
                                  f"{period.start:%d.%m.%Y} für die Korrektur von {muni.name} (R6).", "R6", report.id))
            continue
        amount = rate * delta
        lines.append(Line(
            muni.id, payee.id, "correction", f"{period.code}:{component}", abs(delta), rate, amount, "payable", "R15",
            f"Korrektur des bereits bezahlten Reportings {period.label}: {label} neu {number(report.count(key))} "
            f"statt {number(paid_quantity)}, Differenz {delta:+d} × CHF {chf(rate)} = CHF {chf(amount)} (R15).",
            report.id))


def _base_contributions(index: _Index, lines, blockers, withheld) -> None:
    """R10 with R12 (c) and R26; the March run of Y, or a later run of Y if it was not paid then."""
    inp = index.inp
    year = base_contribution_year(inp.payout_date)
    if year is None:
        year = inp.payout_date.year
        if inp.first_run_date is None or inp.first_run_date > date(year, 3, 31):
            return  # the March run of this year was not made in the system
        only_unpaid_after_march = True
    else:
        only_unpaid_after_march = False
    start, reference = date(year, 1, 1), date(year - 2, 12, 31)
    tariff = index.tariff(BASE_KIND, start)
    for muni in inp.municipalities:
        if not muni.overlaps(start, date(year, 12, 31)) or (muni.id, str(year)) in index.paid_base:
            continue
        contract = index.contract_on(muni.id, start)
        unit = index.municipalities[contract.lead_id] if contract else muni
        reasons = index.ineligibility(unit, start, inp.payout_date, settled_by=inp.payout_date)
        declaration = index.declarations.get((unit.id, year))
        if declaration is None or declaration.status not in ("submitted", "accepted"):
            reasons.append(f"Selbstdeklaration {year} von {unit.name} nicht eingereicht (R12 c)")
        if only_unpaid_after_march and reasons:
            continue  # still not eligible: it was listed in March already
        payee = index.payee(muni, contract)
        count, parts, missing = _base_count(index, muni, reference, year)
        if missing:
            message = f"Ausländerbestand per {reference:%d.%m.%Y} fehlt für {', '.join(missing)}"
            if reasons:  # not eligible anyway: the gap does not block the run (issue 5: "would get")
                for reason in reasons:
                    withheld.append(Issue("not_eligible", muni.id, f"{muni.name}, Sockelbeitrag {year}: {reason}.",
                                          "R12"))
                lines.append(Line(muni.id, payee.id, "base_contribution", str(year), None, None, ZERO, "withheld",
                                  "R10, R12", f"Sockelbeitrag {year}: zurückbehalten ({'; '.join(reasons)}); "
                                  f"{message} (R10)."))
                continue
            message += f"; Sockelbeitrag {year} von {muni.name} blockiert (R10)."
            blockers.append(Issue("missing_population", muni.id, message, "R10"))
            lines.append(Line(muni.id, payee.id, "base_contribution", str(year), None, None, ZERO, "blocked", "R10",
                              message))
            continue
        if tariff is None:
            message = f"Kein Tarif Sockelbeitrag gültig am {start:%d.%m.%Y}; Sockelbeitrag {year} blockiert (R6, R10)."
            blockers.append(Issue("missing_tariff", muni.id, message, "R10"))
            lines.append(Line(muni.id, payee.id, "base_contribution", str(year), count, None, ZERO, "blocked", "R10",
                              message))
            continue
        for reason in reasons:
            withheld.append(Issue("not_eligible", muni.id, f"{muni.name}, Sockelbeitrag {year}: {reason}.", "R12"))
        amount = tariff.amount * count
        text = (f"Sockelbeitrag {year}: {number(count)} ausländische Einwohner/innen per {reference:%d.%m.%Y}"
                f"{parts} × CHF {chf(tariff.amount)} (Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, "
                f"{tariff.reference}) = CHF {chf(amount)} (R10)")
        if reasons:
            text += "; zurückbehalten: " + "; ".join(reasons)
        if payee.id != muni.id:
            text += f"; ausbezahlt an {payee.name} (R13)"
        lines.append(Line(muni.id, payee.id, "base_contribution", str(year), count, tariff.amount, amount,
                          "withheld" if reasons else "payable", "R10", text + "."))


def _base_count(index: _Index, muni: Municipality, reference: date, year: int):
    """R26: own count (if it existed then) plus the counts of predecessors merged into it since.

    Interpretation: the circular pays per resident of the territory; Anhang 1 for 2026 shows
    Kriegstetten with the sum of Kriegstetten, Halten and Oekingen of 31.12.2024.
    """
    sources = [muni] if muni.covers(reference) else []
    sources += [p for p in index.predecessors[muni.id]
                if p.covers(reference) and p.valid_to is not None and p.valid_to < date(year, 1, 1)]
    missing = [m.name for m in sources if (m.id, reference) not in index.population]
    if not sources:
        missing = [muni.name]
    count = sum(index.population.get((m.id, reference), 0) for m in sources)
    parts = ""
    if len(sources) > 1 or (sources and sources[0].id != muni.id):
        parts = " (" + " + ".join(f"{m.name} {number(index.population.get((m.id, reference), 0))}"
                                  for m in sources) + ", R26)"
    return count, parts, missing


def yearly_contributions(inp: RunInputs, year: int) -> list[tuple[Municipality, int | None, Decimal | None]]:
    """Anhang 1 (R25): per municipality valid in `year` its count of 31.12.(year−2) and base contribution.

    Count and amount are None where a count is missing (R10: never shown as 0).
    """
    index = _Index(inp)
    tariff = index.tariff(BASE_KIND, date(year, 1, 1))
    reference = date(year - 2, 12, 31)
    rows = []
    for muni in sorted(inp.municipalities, key=lambda m: m.bfs_nr):
        if not muni.overlaps(date(year, 1, 1), date(year, 12, 31)):
            continue
        count, _parts, missing = _base_count(index, muni, reference, year)
        if missing:
            rows.append((muni, None, None))
        else:
            rows.append((muni, count, tariff.amount * count if tariff else None))
    return rows


def _offsets(index: _Index, lines: list[Line]) -> list[InvoiceDraft]:
    """R16: negative corrections and open clawbacks are offset up to the payee's payout; the rest is invoiced."""
    inp = index.inp
    available: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.status == "payable" and line.amount > 0:
            available[line.payee_id] += line.amount
    invoices: list[InvoiceDraft] = []
    for position, line in enumerate(list(lines)):
        if line.status == "payable" and line.amount < 0:
            offset = min(-line.amount, available[line.payee_id])
            available[line.payee_id] -= offset
            rest = -line.amount - offset
            if rest:
                lines[position] = Line(
                    line.municipality_id, line.payee_id, line.component, line.period, line.quantity, line.rate,
                    -offset, line.status, "R15, R16",
                    line.explanation[:-1] + f"; davon CHF {chf(offset)} verrechnet, CHF {chf(rest)} in Rechnung "
                    f"gestellt, fällig {invoice_due(inp.payout_date):%d.%m.%Y} (R16).", line.report_id)
                invoices.append(InvoiceDraft(line.municipality_id, None, rest,
                                             f"Negative Korrektur {line.period} (R15/R16)"))
    for clawback in sorted(inp.clawbacks, key=lambda c: (c.decided_on, c.id)):
        muni = index.municipalities[clawback.municipality_id]
        if clawback.decided_on > inp.payout_date or clawback.open_amount <= 0:
            continue
        payee = index.payee(muni, index.contract_on(muni.id, inp.payout_date))
        if available[payee.id] <= 0:
            continue  # no payout to offset against in this run: it stays open for the next
        offset = min(clawback.open_amount, available[payee.id])
        available[payee.id] -= offset
        rest = clawback.open_amount - offset
        text = (f"Rückforderung vom {clawback.decided_on:%d.%m.%Y} ({clawback.reason}), offen CHF "
                f"{chf(clawback.open_amount)}: mit der Auszahlung an {payee.name} verrechnet CHF {chf(offset)}")
        if rest:
            text += (f"; Rest CHF {chf(rest)} wird in Rechnung gestellt, fällig "
                     f"{invoice_due(inp.payout_date):%d.%m.%Y}, und nicht erneut verrechnet")
            invoices.append(InvoiceDraft(muni.id, clawback.id, rest, clawback.reason))
        lines.append(Line(muni.id, payee.id, "clawback_offset", f"RF-{clawback.id}", None, None, -offset, "payable",
                          "R16", text + " (R16)." if muni.id == payee.id else text + " (R16, R26/R13).",
                          clawback_id=clawback.id))
    return invoices
