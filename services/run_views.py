"""Read models of the payout pages: a run grouped by payee, a line's evidence, a municipality's history."""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from models import FormField, Municipality, PayoutLine, PayoutRun, Report, RunStatus

from . import paging

ZERO = Decimal("0.00")
# Clause of the circular behind each rule id (DOMAIN.md).
RULE_CLAUSES = {
    "R6": "§4.3.1–4.3.3", "R8": "§4.3.2", "R9": "§4.3.1", "R10": "§4.3.2", "R12": "§4.2", "R13": "§4.5.2, §3.4",
    "R14": "§5.2", "R15": "§4.7", "R16": "§4.7", "R26": "Gemeindefusionen",
}
COLUMNS = [("case", "Fallpauschalen", ("case_first_info", "case_integration")),
           ("interpreter", "Dolmetschpauschalen", ("interpreter_first_info", "interpreter_integration")),
           ("base", "Sockelbeitrag", ("base_contribution",)),
           ("correction", "Korrekturen", ("correction",)),
           ("offset", "Verrechnung Rückforderungen", ("clawback_offset",))]
COLUMN_OF = {component: key for key, _, components in COLUMNS for component in components}


@dataclass
class Row:
    municipality: Municipality
    amounts: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass
class PayeeGroup:
    payee: Municipality
    members: dict = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        return sorted(self.members.values(), key=lambda r: r.municipality.bfs_nr)

    def column(self, key: str) -> Decimal:
        return sum((row.amounts[key] for row in self.members.values()), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.members.values()), ZERO)


def group_by_payee(run: PayoutRun, municipalities: dict[int, Municipality]) -> tuple[list[PayeeGroup], list]:
    """Payable lines summed per payee, member and column; other lines listed apart. One query."""
    groups: dict[int, PayeeGroup] = {}
    held = []
    # Named tuples of the needed columns: a national run has 8,000 lines, model instances cost 4× as much.
    for line in (PayoutLine.select(PayoutLine.id, PayoutLine.municipality.alias("municipality_id"),
                                   PayoutLine.payee.alias("payee_id"), PayoutLine.component, PayoutLine.period,
                                   PayoutLine.amount, PayoutLine.status)
                 .where(PayoutLine.run == run.id).order_by(PayoutLine.id).namedtuples()):
        if line.status != "payable":
            held.append(line)
            continue
        group = groups.setdefault(line.payee_id, PayeeGroup(municipalities[line.payee_id]))
        row = group.members.setdefault(line.municipality_id, Row(municipalities[line.municipality_id]))
        row.amounts[COLUMN_OF[line.component]] += line.amount
    return sorted(groups.values(), key=lambda g: g.payee.bfs_nr), held


def report_evidence(report: Report | None) -> list[tuple[str, object]]:
    """The report's values with the labels of its own form version (R18)."""
    if report is None:
        return []
    labels = {f.key: f.label for f in FormField.select().where(FormField.form_version == report.form_version_id)}
    return [(labels.get(key, key), value) for key, value in sorted(report.values.items(),
                                                                    key=lambda kv: list(labels).index(kv[0])
                                                                    if kv[0] in labels else 999)]


def legal_basis(rule: str | None) -> str:
    """The clauses of the circular behind a line's rule ids, as people read them (issue 18: no bare rule ids)."""
    found = [RULE_CLAUSES[part.strip()] for part in (rule or "").split(",") if part.strip() in RULE_CLAUSES]
    return "Kreisschreiben " + ", ".join(dict.fromkeys(found)) if found else "Kreisschreiben KRS-GEF-2017-01"


def clauses(rule: str) -> list[tuple[str, str]]:
    return [(part.strip(), RULE_CLAUSES.get(part.strip(), "")) for part in rule.split(",")]


def history(municipality: Municipality, statuses=RunStatus.SETTLED):
    """Lines of a municipality, or paid to it, in runs of the given statuses, newest run first."""
    own, payee = Municipality.alias(), Municipality.alias()
    return (PayoutLine.select(PayoutLine, PayoutRun, own, payee).join(PayoutRun)
            .switch(PayoutLine).join(own, on=PayoutLine.municipality)
            .switch(PayoutLine).join(payee, on=PayoutLine.payee)
            .where(((PayoutLine.municipality == municipality.id) | (PayoutLine.payee == municipality.id))
                   & PayoutRun.status.in_(statuses))
            .order_by(PayoutRun.payout_date.desc(), PayoutLine.component, PayoutLine.period))



WITHHELD_PER_PAGE = 50


def withheld_page(run: PayoutRun, municipalities: dict[int, Municipality], kind: str | None, text: str,
                  page: int) -> tuple[paging.Page, list[str]]:
    """Issue 18: the run's withheld items as a paged table, grouped by municipality and reason, filtered by
    reason and by a part of the municipality's name or BFS number; and the reasons present in the run."""
    items = run.issues.get("withheld", [])
    kinds = sorted({item["kind"] for item in items})
    needle = text.strip().lower()

    def name(item) -> str:
        muni = municipalities.get(item.get("municipality_id"))
        return f"{muni.name} {muni.bfs_nr}".lower() if muni else ""

    chosen = [item for item in items if (kind is None or item["kind"] == kind) and needle in name(item)]
    chosen.sort(key=lambda item: (name(item), item["kind"], item["message"]))
    return paging.of_list(chosen, page, WITHHELD_PER_PAGE), kinds
