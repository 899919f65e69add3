"""The payout rules R4–R17 and R26 as pure functions: inputs in, explained lines out.

No Flask, no peewee: `compute(RunInputs)` is deterministic, so preparing twice gives identical lines.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from core.calendar import HalfYear, fee_period, periods_between, regular_payout_date
from core.formatting import chf, number

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
        self.refused = {(d.municipality_id, d.component, d.period): d for d in inp.decisions
                        if d.kind == "refuse_contribution" and d.component and d.period}
        self.after_close = {(d.municipality_id, d.component, d.period) for d in inp.decisions
                            if d.kind == "pay_after_close" and d.component and d.period}
        self.reports = {(r.municipality_id, r.period): r for r in inp.reports}
        self.ledger: dict[tuple[int, str, str], list] = defaultdict(list)
        self.claimed: set[tuple[int, str]] = set()  # (municipality, half-year) with any fee credited
        for item in inp.ledger:
            self.ledger[(item.municipality_id, item.component, item.claim)].append(item)
            if item.component != "base_contribution":
                self.claimed.add((item.municipality_id, item.claim))

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

    def successor(self, municipality: Municipality) -> Municipality:
        """R26: what is owed to or by an abolished municipality goes to or is offset against its successor."""
        seen = set()
        while (municipality.valid_to and municipality.valid_to < self.inp.payout_date and municipality.successor_id
               and municipality.id not in seen):
            seen.add(municipality.id)
            municipality = self.municipalities[municipality.successor_id]
        return municipality

    def payee(self, municipality: Municipality, contract: Contract | None) -> Municipality:
        """R13 (lead or member) and R26 (an abolished payee's dues go to its successor)."""
        payee = municipality
        if contract is not None and contract.payee == "lead":
            payee = self.municipalities[contract.lead_id]
        return self.successor(payee)

    def ineligibility(self, unit: Municipality, start: date, end: date, settled_by: date) -> list[str]:
        """R12 (a), (b) for the responsible unit over [start, end]."""
        reasons = []
        if unit.organisation_settled_on is None or unit.organisation_settled_on > settled_by:
            reasons.append(f"Organisation von {unit.name} nicht geregelt (R12 a)")
        if not any(a.overlaps(start, end) for a in self.assignments[unit.id]):
            reasons.append(f"{unit.name} hatte keine/n aktive/n Integrationsbeauftragte/n (R12 b)")
        return reasons

    def closed(self, municipality_id: int, component: str, claim: str, year: int) -> bool:
        """R17: a claim of a closed year is paid only by a decision."""
        return year in self.inp.closed_years and (municipality_id, component, claim) not in self.after_close


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
    """Half-years this run may pay: those paid regularly from go-live on, up to the run's own (R4, R14).

    Half-years whose regular payout date lies before go-live were settled outside the system.
    """
    go_live = inp.go_live or inp.payout_date
    last = fee_period(inp.payout_date)
    first = HalfYear(go_live.year - 1, 1)
    while regular_payout_date(first) < go_live:
        first = first.next()
    return periods_between(first, last)


def _base_years(inp: RunInputs) -> list[int]:
    """Base-contribution years this run may pay: March run of Y from go-live on, up to the run's year (R4)."""
    go_live = inp.go_live or inp.payout_date
    first = go_live.year if go_live <= date(go_live.year, 3, 31) else go_live.year + 1
    return list(range(first, inp.payout_date.year + 1))


def _fees(index: _Index, lines, blockers, withheld) -> None:
    inp = index.inp
    window = _window(inp)
    current = window[-1] if window else None
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
            if (muni.id, period.code) in index.claimed:
                _corrections(index, muni, report, lines, withheld)
                continue
            if report.id in index.refusals:
                decision = index.refusals[report.id]
                withheld.append(Issue("refused_late", muni.id, f"Reporting {period.label} von {muni.name}: Zahlung "
                                      f"verweigert (verspätet). Begründung: {decision.reason}", "R14", report.id))
                continue
            refusal = index.refused.get((muni.id, "fees", period.code))
            if refusal is not None:
                withheld.append(Issue("refused", muni.id, f"Pauschalen {period.label} von {muni.name}: Beitrag "
                                      f"verweigert (§4.7). Begründung: {refusal.reason}", "§4.7", report.id))
                continue
            if index.closed(muni.id, "fees", period.code, period.year):
                withheld.append(_closed_issue(muni, f"Pauschalen {period.label}", period.year, report.id))
                continue
            _report_lines(index, muni, report, period, period != current, lines, withheld)


def _closed_issue(muni: Municipality, what: str, year: int, report_id: int | None = None) -> Issue:
    return Issue("closed_year", muni.id, f"{what} von {muni.name}: das Jahr {year} ist abgeschlossen (R17); "
                 "Zahlung nur mit Entscheid «Zahlung nach Jahresabschluss bewilligt» oder Verweigerung.", "R17",
                 report_id)


def _not_payable(muni, label, quantity, kind, period, report_id) -> Issue:
    return Issue("not_payable", muni.id, f"{number(quantity)} {label} von {muni.name} im {period.label}: nicht "
                 f"zahlbar, kein Tarif «{kind}» gültig am {period.start:%d.%m.%Y} (R6).", "R6", report_id)


def _report_lines(index, muni, report, period, carried, lines, withheld) -> None:
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
        if tariff is None:  # R6: not payable, never a blocker; credited as 0 so it is listed once
            withheld.append(_not_payable(muni, label, quantity, item.kind, period, report.id))
            lines.append(Line(muni.id, payee.id, component, period.code, quantity, None, ZERO, "withheld", "R6",
                              f"{number(quantity)} {label} im {period.label}: kein gültiger Tarif am "
                              f"{period.start:%d.%m.%Y}, daher nicht zahlbar (R6).", report.id,
                              **({} if reasons else {"ledger_quantity": quantity, "ledger_amount": ZERO,
                                                     "revision": 0})))
            continue
        status = "withheld" if reasons else "payable"
        text = (f"{prefix}{number(quantity)} {label} im {period.label} × CHF {chf(tariff.amount)} "
                f"(Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, {tariff.reference}) = CHF {chf(item.amount)} "
                f"({rule})")
        if reasons:
            text += "; zurückbehalten: " + "; ".join(reasons)
        if payee.id != muni.id:
            text += f"; ausbezahlt an {payee.name} (R13/R26)"
        ledger = {} if reasons else {"ledger_quantity": quantity, "ledger_amount": item.amount, "revision": 0}
        lines.append(Line(muni.id, payee.id, component, period.code, quantity, tariff.amount, item.amount, status,
                          rule if not carried else f"{rule}, R14", text + ".", report.id, **ledger))


def _corrections(index, muni, report, lines, withheld) -> None:
    """R15: the report now against the ledger; the difference is a ± line at the rate first credited."""
    period = report.period
    contract = index.contract_for_period(muni.id, period.start, period.end)
    payee = index.payee(muni, contract)
    for component, (key, kind, _rule, label) in FEE_COMPONENTS.items():
        entries = index.ledger.get((muni.id, component, period.code), [])
        credited = sum(e.quantity for e in entries)
        delta = report.count(key) - credited
        if delta == 0:
            continue
        revision = max((e.revision for e in entries), default=-1) + 1
        first = next((e for e in entries if e.revision == 0), None)
        tariff = index.tariff(kind, period.start)
        rate = first.rate if first is not None else (tariff.amount if tariff else None)
        if not rate:  # R6: no tariff for the period (or never was): not payable, credited as 0
            withheld.append(_not_payable(muni, label, abs(delta), kind, period, report.id))
            lines.append(Line(muni.id, payee.id, "correction", f"{period.code}:{component}", abs(delta), None, ZERO,
                              "withheld", "R6, R15", f"Korrektur {label} im {period.label} ({delta:+d}): kein "
                              f"gültiger Tarif, nicht zahlbar (R6).", report.id, ledger_quantity=delta,
                              ledger_amount=ZERO, revision=revision))
            continue
        if delta > 0 and index.closed(muni.id, "fees", period.code, period.year):
            withheld.append(_closed_issue(muni, f"Korrektur {label} {period.label}", period.year, report.id))
            continue
        amount = rate * delta
        lines.append(Line(
            muni.id, payee.id, "correction", f"{period.code}:{component}", abs(delta), rate, amount, "payable", "R15",
            f"Korrektur des bereits bezahlten Reportings {period.label}: {label} neu {number(report.count(key))} "
            f"statt {number(credited)}, Differenz {delta:+d} × CHF {chf(rate)} = CHF {chf(amount)} (R15).",
            report.id, ledger_quantity=delta, ledger_amount=amount, revision=revision))


def _base_contributions(index: _Index, lines, blockers, withheld) -> None:
    """R10 with R12 (c) and R26: every year from go-live on that is not yet in the ledger."""
    inp = index.inp
    for year in _base_years(inp):
        _base_year(index, year, lines, blockers, withheld)


def _base_year(index: _Index, year: int, lines, blockers, withheld) -> None:
    inp = index.inp
    start, end, reference = date(year, 1, 1), date(year, 12, 31), date(year - 2, 12, 31)
    tariff = index.tariff(BASE_KIND, start)
    claim = str(year)
    for muni in inp.municipalities:
        if not muni.overlaps(start, end) or (muni.id, "base_contribution", claim) in index.ledger:
            continue
        contract = index.contract_on(muni.id, start)
        unit = index.municipalities[contract.lead_id] if contract else muni
        refusal = index.refused.get((muni.id, "base_contribution", claim))
        if refusal is not None:
            withheld.append(Issue("refused", muni.id, f"Sockelbeitrag {year} von {muni.name}: Beitrag verweigert "
                                  f"(§4.7). Begründung: {refusal.reason}", "§4.7"))
            continue
        if index.closed(muni.id, "base_contribution", claim, year):
            withheld.append(_closed_issue(muni, f"Sockelbeitrag {year}", year))
            continue
        reasons = index.ineligibility(unit, start, min(inp.payout_date, end), settled_by=inp.payout_date)
        declaration = index.declarations.get((unit.id, year))
        if declaration is None or declaration.status in ("draft", "returned"):
            reasons.append(f"Selbstdeklaration {year} von {unit.name} nicht eingereicht (R12 c)")
        elif declaration.status == "submitted":
            reasons.append(f"Selbstdeklaration {year} von {unit.name} eingereicht, aber noch nicht angenommen (R12 c)")
        payee = index.payee(muni, contract)
        count, parts, missing = _base_count(index, muni, reference, year)
        if missing:
            message = f"Ausländerbestand per {reference:%d.%m.%Y} fehlt für {', '.join(missing)}"
            if reasons:  # not eligible anyway: the gap does not block the run (issue 5: "would get")
                for reason in reasons:
                    withheld.append(Issue("not_eligible", muni.id, f"{muni.name}, Sockelbeitrag {year}: {reason}.",
                                          "R12"))
                lines.append(Line(muni.id, payee.id, "base_contribution", claim, None, None, ZERO, "withheld",
                                  "R10, R12", f"Sockelbeitrag {year}: zurückbehalten ({'; '.join(reasons)}); "
                                  f"{message} (R10)."))
                continue
            message += f"; Sockelbeitrag {year} von {muni.name} blockiert (R10)."
            blockers.append(Issue("missing_population", muni.id, message, "R10"))
            lines.append(Line(muni.id, payee.id, "base_contribution", claim, None, None, ZERO, "blocked", "R10",
                              message))
            continue
        for reason in reasons:
            withheld.append(Issue("not_eligible", muni.id, f"{muni.name}, Sockelbeitrag {year}: {reason}.", "R12"))
        if tariff is None:  # R6: not payable, never a blocker
            withheld.append(Issue("not_payable", muni.id, f"Sockelbeitrag {year} von {muni.name}: nicht zahlbar, "
                                  f"kein Tarif gültig am {start:%d.%m.%Y} (R6, R10).", "R6"))
            if not reasons:
                lines.append(Line(muni.id, payee.id, "base_contribution", claim, count, None, ZERO, "withheld", "R6",
                                  f"Sockelbeitrag {year}: kein gültiger Tarif am {start:%d.%m.%Y}, nicht zahlbar "
                                  "(R6).", ledger_quantity=count, ledger_amount=ZERO, revision=0))
            continue
        amount = tariff.amount * count
        text = (f"Sockelbeitrag {year}: {number(count)} ausländische Einwohner/innen per {reference:%d.%m.%Y}"
                f"{parts} × CHF {chf(tariff.amount)} (Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, "
                f"{tariff.reference}) = CHF {chf(amount)} (R10)")
        if reasons:
            text += "; zurückbehalten: " + "; ".join(reasons)
        if payee.id != muni.id:
            text += f"; ausbezahlt an {payee.name} (R13)"
        ledger = {} if reasons else {"ledger_quantity": count, "ledger_amount": amount, "revision": 0}
        lines.append(Line(muni.id, payee.id, "base_contribution", claim, count, tariff.amount, amount,
                          "withheld" if reasons else "payable", "R10", text + ".", **ledger))


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
    """R16, §4.7: a negative correction or an open clawback is offset against the debtor's own credit in this run.

    The debtor's credit is what the run pays for the debtor itself (for a lead-paid group: the member's
    share only, never the lead's own fees); an abolished debtor's is its successor's (R26). What exceeds
    it is invoiced to the debtor (or its successor), 30 days after the invoice date, and not offset again.
    """
    inp = index.inp
    credit: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))  # debtor -> payee -> CHF
    for line in lines:
        if line.status == "payable" and line.amount > 0:
            debtor = index.successor(index.municipalities[line.municipality_id])
            credit[debtor.id][line.payee_id] += line.amount

    def take(debtor_id: int, wanted: Decimal, prefer: int | None = None) -> list[tuple[int, Decimal]]:
        taken = []
        for payee_id in sorted(credit[debtor_id], key=lambda payee: (payee != prefer, payee)):
            part = min(wanted, credit[debtor_id][payee_id])
            if part > 0:
                credit[debtor_id][payee_id] -= part
                wanted -= part
                taken.append((payee_id, part))
        return taken

    invoices: list[InvoiceDraft] = []
    for position, line in enumerate(list(lines)):
        if line.status == "payable" and line.amount < 0:
            debtor = index.successor(index.municipalities[line.municipality_id])
            owed = -line.amount
            parts = take(debtor.id, owed, prefer=line.payee_id)
            offset = sum((part for _payee, part in parts), ZERO)
            own = sum((part for payee_id, part in parts if payee_id == line.payee_id), ZERO)
            rest = owed - offset
            if own != owed:  # offset where the debtor's credit is paid out (R13), the rest invoiced (R16)
                note = f"; davon CHF {chf(offset)} verrechnet"
                if rest:
                    note += (f", CHF {chf(rest)} an {debtor.name} in Rechnung gestellt, fällig 30 Tage nach "
                             "Rechnungsdatum")
                lines[position] = replace(line, amount=-own, rule="R15, R16",
                                          explanation=line.explanation[:-1] + note + " (R16).")
                for payee_id, part in parts:
                    if payee_id == line.payee_id:
                        continue
                    payee = index.municipalities[payee_id]
                    lines.append(Line(
                        line.municipality_id, payee_id, "correction", f"{line.period}:{payee_id}", None, None, -part,
                        "payable", "R15, R16, R13", f"Negative Korrektur {line.period} von {debtor.name}: CHF "
                        f"{chf(part)} mit dem eigenen Guthaben von {debtor.name} verrechnet, das in diesem Lauf an "
                        f"{payee.name} ausbezahlt wird (R15, R16, R13).", line.report_id))
                if rest:
                    invoices.append(InvoiceDraft(debtor.id, None, rest, f"Negative Korrektur {line.period} (R15/R16)"))
    for clawback in sorted(inp.clawbacks, key=lambda c: (c.decided_on, c.id)):
        muni = index.municipalities[clawback.municipality_id]
        if clawback.decided_on > inp.payout_date or clawback.open_amount <= 0:
            continue
        debtor = index.successor(muni)
        # §4.7: what exceeds the debtor's credit in this run is invoiced, also when that credit is 0, as for a
        # negative correction (R16: "a negative correction is a clawback")
        parts = take(debtor.id, clawback.open_amount)
        offset = sum((part for _payee, part in parts), ZERO)
        rest = clawback.open_amount - offset
        via = "" if debtor.id == muni.id else f" (Rechtsnachfolgerin {debtor.name}, R26)"
        text = (f"Rückforderung vom {clawback.decided_on:%d.%m.%Y} ({clawback.reason}), offen CHF "
                f"{chf(clawback.open_amount)}: mit dem eigenen Guthaben von {debtor.name} in diesem Lauf verrechnet "
                f"CHF {chf(offset)}{via}")
        if rest:
            text += (f"; Rest CHF {chf(rest)} wird {debtor.name} in Rechnung gestellt, fällig 30 Tage nach "
                     "Rechnungsdatum, und nicht erneut verrechnet")
            invoices.append(InvoiceDraft(debtor.id, clawback.id, rest, clawback.reason))
        for payee_id, part in parts:
            period = f"RF-{clawback.id}" if len(parts) == 1 else f"RF-{clawback.id}-{payee_id}"
            lines.append(Line(muni.id, payee_id, "clawback_offset", period, None, None, -part, "payable",
                              "R16", text + (" (R16, §4.7)." if muni.id == payee_id else " (R16, §4.7, R13/R26)."),
                              clawback_id=clawback.id))
    return invoices
