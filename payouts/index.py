"""Lookups over the inputs of one computation, built once (no per-municipality work); plain Python."""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from .inputs import Contract, Issue, Municipality, RunInputs, Tariff

ZERO = Decimal("0.00")


class Index:
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


def closed_issue(muni: Municipality, what: str, year: int, report_id: int | None = None) -> Issue:
    return Issue("closed_year", muni.id, f"{what} von {muni.name}: das Jahr {year} ist abgeschlossen (R17); "
                 "Zahlung nur mit Entscheid «Zahlung nach Jahresabschluss bewilligt» oder Verweigerung.", "R17",
                 report_id)


def first_credit(reasons: list[str], quantity: int, amount: Decimal) -> dict:
    """R15: the ledger part of a first credit; none while the line is withheld (it is credited when paid)."""
    return {} if reasons else {"ledger_quantity": quantity, "ledger_amount": amount, "revision": 0}


def explained(text: str, reasons: list[str], payee: Municipality, muni: Municipality, rules: str) -> str:
    """The sentence of a line, with why it is withheld (R12) and to whom it goes (R13/R26)."""
    if reasons:
        text += "; zurückbehalten: " + "; ".join(reasons)
    if payee.id != muni.id:
        text += f"; ausbezahlt an {payee.name} ({rules})"
    return text + "."
