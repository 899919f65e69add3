"""The payout rules R4–R17 and R26 as pure functions: inputs in, explained lines out.

No Flask, no peewee: `compute(RunInputs)` is deterministic, so preparing twice gives identical lines. The
fees (R8, R9, R14, R15) are here; the base contribution is `base_contributions.py`, the offsets and
invoices `offsets.py`, the lookups `index.py`.
"""
from collections.abc import Callable
from datetime import date

from core.calendar import HalfYear, fee_period, first_period_in_system, periods_between
from core.formatting import chf, number

from .base_contributions import base_contributions
from .index import ZERO, Index, closed_issue, explained, first_credit
from .inputs import FEE_COMPONENTS, FeeItem, Issue, Line, RunInputs, RunResult
from .offsets import offsets


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
    index = Index(inp)
    lines: list[Line] = []
    blockers: list[Issue] = []
    withheld: list[Issue] = []
    _fees(index, lines, blockers, withheld)
    base_contributions(index, lines, blockers, withheld)
    invoices = offsets(index, lines)
    return RunResult(lines=lines, blockers=_unique(blockers), withheld=_unique(withheld), invoices=invoices)


def _unique(issues: list[Issue]) -> list[Issue]:
    return list(dict.fromkeys(issues))


def _window(inp: RunInputs) -> list[HalfYear]:
    """Half-years this run may pay: those paid regularly from go-live on, up to the run's own (R4, R14).

    Half-years whose regular payout date lies before go-live were settled outside the system.
    """
    last = fee_period(inp.payout_date)
    return periods_between(first_period_in_system(inp.go_live or inp.payout_date), last)


def _fees(index: Index, lines, blockers, withheld) -> None:
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
                withheld.append(closed_issue(muni, f"Pauschalen {period.label}", period.year, report.id))
                continue
            _report_lines(index, muni, report, period, period != current, lines, withheld)


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
                              **first_credit(reasons, quantity, ZERO)))
            continue
        status = "withheld" if reasons else "payable"
        text = (f"{prefix}{number(quantity)} {label} im {period.label} × CHF {chf(tariff.amount)} "
                f"(Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, {tariff.reference}) = CHF {chf(item.amount)} "
                f"({rule})")
        lines.append(Line(muni.id, payee.id, component, period.code, quantity, tariff.amount, item.amount, status,
                          rule if not carried else f"{rule}, R14", explained(text, reasons, payee, muni, "R13/R26"),
                          report.id, **first_credit(reasons, quantity, item.amount)))


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
            withheld.append(closed_issue(muni, f"Korrektur {label} {period.label}", period.year, report.id))
            continue
        amount = rate * delta
        lines.append(Line(
            muni.id, payee.id, "correction", f"{period.code}:{component}", abs(delta), rate, amount, "payable", "R15",
            f"Korrektur des bereits bezahlten Reportings {period.label}: {label} neu {number(report.count(key))} "
            f"statt {number(credited)}, Differenz {delta:+d} × CHF {chf(rate)} = CHF {chf(amount)} (R15).",
            report.id, ledger_quantity=delta, ledger_amount=amount, revision=revision))
