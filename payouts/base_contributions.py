"""R10 with R12 (c), R17 and R26: the base contribution per foreign resident, per year; plain Python."""
from datetime import date
from decimal import Decimal

from core.calendar import first_base_year_in_system
from core.formatting import chf, number

from .index import ZERO, Index, closed_issue, explained, first_credit
from .inputs import BASE_KIND, Issue, Line, Municipality, RunInputs


def base_years(inp: RunInputs) -> list[int]:
    """Base-contribution years this run may pay: March run of Y from go-live on, up to the run's year (R4)."""
    first = first_base_year_in_system(inp.go_live or inp.payout_date)
    return list(range(first, inp.payout_date.year + 1))


def base_contributions(index: Index, lines, blockers, withheld) -> None:
    """R10 with R12 (c) and R26: every year from go-live on that is not yet in the ledger."""
    inp = index.inp
    for year in base_years(inp):
        _base_year(index, year, lines, blockers, withheld)


def _base_year(index: Index, year: int, lines, blockers, withheld) -> None:
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
            withheld.append(closed_issue(muni, f"Sockelbeitrag {year}", year))
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
                                  "(R6).", **first_credit(reasons, count, ZERO)))
            continue
        amount = tariff.amount * count
        text = (f"Sockelbeitrag {year}: {number(count)} ausländische Einwohner/innen per {reference:%d.%m.%Y}"
                f"{parts} × CHF {chf(tariff.amount)} (Tarif gültig ab {tariff.valid_from:%d.%m.%Y}, "
                f"{tariff.reference}) = CHF {chf(amount)} (R10)")
        lines.append(Line(muni.id, payee.id, "base_contribution", claim, count, tariff.amount, amount,
                          "withheld" if reasons else "payable", "R10", explained(text, reasons, payee, muni, "R13"),
                          **first_credit(reasons, count, amount)))


def _base_count(index: Index, muni: Municipality, reference: date, year: int):
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
    index = Index(inp)
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
