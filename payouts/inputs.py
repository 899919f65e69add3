"""Plain inputs and outputs of the payout rules: dataclasses with Decimal and date only."""
import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal

from core.calendar import HalfYear
from core.validity import DatedRange

# The payout-relevant report fields (R18): defined here only; forms, imports and seed data use these names.
FIRST_INFO_INTERVIEWS = "first_info_interviews"
FIRST_INFO_INTERPRETER = "first_info_interpreter"
INTEGRATION_INTERVIEWS = "integration_interviews"
INTEGRATION_INTERPRETER = "integration_interpreter"
COUNT_KEYS = (FIRST_INFO_INTERVIEWS, FIRST_INFO_INTERPRETER, INTEGRATION_INTERVIEWS, INTEGRATION_INTERPRETER)
INTERPRETED_INTERVIEWS = {FIRST_INFO_INTERPRETER: FIRST_INFO_INTERVIEWS,  # R20: assignments per interview kind
                          INTEGRATION_INTERPRETER: INTEGRATION_INTERVIEWS}

# component -> (report count key, tariff kind, rule, German label)
FEE_COMPONENTS = {
    "case_first_info": (FIRST_INFO_INTERVIEWS, "fee_first_info", "R8", "Erstinformationsgespräche"),
    "case_integration": (INTEGRATION_INTERVIEWS, "fee_integration", "R8", "Integrationsgespräche"),
    "interpreter_first_info": (FIRST_INFO_INTERPRETER, "fee_interpreter_first_info", "R9",
                               "Dolmetscheinsätze bei Erstinformationsgesprächen"),
    "interpreter_integration": (INTEGRATION_INTERPRETER, "fee_interpreter_integration", "R9",
                                "Dolmetscheinsätze bei Integrationsgesprächen"),
}
BASE_KIND = "base_per_foreign_resident"


@dataclass(frozen=True)
class Municipality(DatedRange):
    id: int
    bfs_nr: int
    name: str
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: int | None = None
    organisation_settled_on: date | None = None
    creditor_number: str | None = None  # bank data: part of what an approval re-checks (issue 13)
    iban: str | None = None

    def __str__(self):
        return f"{self.bfs_nr} {self.name}"


@dataclass(frozen=True)
class Tariff(DatedRange):
    id: int
    kind: str
    amount: Decimal
    valid_from: date
    valid_to: date | None
    reference: str


@dataclass(frozen=True)
class Membership(DatedRange):
    municipality_id: int
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Contract(DatedRange):
    id: int
    reference: str
    lead_id: int
    payee: str  # "lead" or "member" (R13)
    valid_from: date
    valid_to: date | None
    members: tuple[Membership, ...] = ()


@dataclass(frozen=True)
class Assignment(DatedRange):
    municipality_id: int
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Report:
    id: int
    municipality_id: int
    period: HalfYear
    status: str
    late: bool
    counts: dict = field(default_factory=dict, hash=False, compare=False)

    def count(self, key: str) -> int:
        return int(self.counts.get(key) or 0)


@dataclass(frozen=True)
class SelfDeclaration:
    municipality_id: int
    year: int
    status: str


@dataclass(frozen=True)
class Population:
    municipality_id: int
    reference_date: date
    count: int


@dataclass(frozen=True)
class Decision:
    kind: str
    municipality_id: int
    report_id: int | None
    reason: str
    component: str | None = None  # refusals and closed-year decisions: "fees" or "base_contribution"
    period: str | None = None  # "2026-H1" or "2026"


@dataclass(frozen=True)
class Clawback:
    id: int
    municipality_id: int
    amount: Decimal
    reason: str
    decided_on: date
    settled: Decimal = Decimal("0.00")  # offset in approved runs plus invoiced
    invoiced: bool = False

    @property
    def open_amount(self) -> Decimal:
        return Decimal("0.00") if self.invoiced else max(self.amount - self.settled, Decimal("0.00"))


@dataclass(frozen=True)
class LedgerItem:
    """What approved runs credited for one claim (a fee component of a half-year, or a base-contribution year).

    Revision 0 is the first credit, n the n-th correction; quantity and amount are signed and gross,
    whatever part was offset or invoiced (R14, R15).
    """

    municipality_id: int
    component: str
    claim: str
    revision: int
    quantity: int
    rate: Decimal
    amount: Decimal


@dataclass
class RunInputs:
    payout_date: date
    municipalities: list[Municipality]
    tariffs: list[Tariff]
    contracts: list[Contract] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    self_declarations: list[SelfDeclaration] = field(default_factory=list)
    population: list[Population] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    clawbacks: list[Clawback] = field(default_factory=list)
    ledger: list[LedgerItem] = field(default_factory=list)
    go_live: date | None = None  # half-years paid regularly before it were settled outside the system
    closed_years: frozenset[int] = frozenset()  # R17: years whose surplus is recorded


@dataclass(frozen=True)
class Line:
    municipality_id: int
    payee_id: int
    component: str
    period: str
    quantity: int | None
    rate: Decimal | None
    amount: Decimal
    status: str  # payable, withheld, blocked
    rule: str
    explanation: str
    report_id: int | None = None
    clawback_id: int | None = None
    # what the line credits to the ledger on approval (R15): signed, gross, with its revision
    ledger_quantity: int | None = None
    ledger_amount: Decimal | None = None
    revision: int | None = None


@dataclass(frozen=True)
class FeeItem:
    """One fee component a report triggers (R6, R8, R9); `tariff` None when none is valid (R6: blocked)."""

    component: str
    key: str
    kind: str
    rule: str
    label: str
    quantity: int
    tariff: object | None  # anything with amount, valid_from, reference: an input Tariff or a Tariff row
    amount: Decimal | None

    @property
    def rate(self) -> Decimal | None:
        return self.tariff.amount if self.tariff is not None else None


@dataclass(frozen=True)
class Issue:
    """A blocker (canton's side, stops approval) or a withheld item (municipality's side)."""

    kind: str
    municipality_id: int | None
    message: str
    rule: str
    report_id: int | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    """The part of a clawback above the payout, invoiced on approval (R16)."""

    municipality_id: int
    clawback_id: int | None
    amount: Decimal
    reason: str


@dataclass
class RunResult:
    lines: list[Line]
    blockers: list[Issue]
    withheld: list[Issue]
    invoices: list[InvoiceDraft]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.status == "payable"), Decimal("0.00"))

    def net_by_payee(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for line in self.lines:
            if line.status == "payable":
                totals[line.payee_id] = totals.get(line.payee_id, Decimal("0.00")) + line.amount
        return totals


def fingerprint(inp: RunInputs) -> str:
    """A digest of everything a run is computed from: equal digests, equal runs (approval re-checks it)."""
    digest = hashlib.sha256()
    for item in fields(inp):
        value = getattr(inp, item.name)
        if isinstance(value, (list, frozenset, set)):
            parts = sorted(repr(v) for v in value)
        else:
            parts = [repr(value)]
        digest.update(f"{item.name}:{len(parts)}\n".encode())
        for part in parts:
            digest.update(part.encode() + b"\n")
    return digest.hexdigest()
