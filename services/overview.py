"""Figures of the admin start page (issue 3): counts, open reports, gaps that block payouts."""
from dataclasses import dataclass
from datetime import date

from peewee import Select, fn

from core.calendar import HalfYear, next_payout_date
from models import (
    AuditEntry,
    Clawback,
    Contract,
    ContractMember,
    ForeignPopulation,
    FormVersion,
    Municipality,
    OfficerAssignment,
    Report,
    SelfDeclaration,
    Status,
    Tariff,
    User,
    db,
)


@dataclass
class PeriodStatus:
    period: HalfYear
    expected: int
    by_status: dict[str, int]

    @property
    def missing(self) -> int:
        return self.expected - sum(self.by_status.values())

    @property
    def open(self) -> int:
        return self.expected - self.by_status.get(Status.ACCEPTED, 0)


def admin_overview(today: date) -> dict:
    """Everything in a constant number of queries, whatever the number of municipalities."""
    tables = [("Gemeinden", Municipality), ("Benutzer", User), ("Zusammenarbeitsverträge", Contract),
               ("Tarife", Tariff), ("Ausländerbestände", ForeignPopulation), ("Formularversionen", FormVersion),
               ("Reportings", Report), ("Selbstdeklarationen", SelfDeclaration), ("Rückforderungen", Clawback),
               ("Audit-Einträge", AuditEntry)]
    # One statement of ten sub-selects instead of ten round trips.
    totals = db.execute(Select(columns=[model.select(fn.COUNT(model.id)) for _, model in tables])).fetchone()
    counts = [(label, total) for (label, _), total in zip(tables, totals, strict=True)]
    current = HalfYear.containing(today)
    periods = [current]
    while len(periods) < 3:
        periods.insert(0, HalfYear(periods[0].year - 1, 2) if periods[0].half == 1
                       else HalfYear(periods[0].year, 1))
    municipalities = list(Municipality.select())
    rows = (Report.select(Report.year, Report.half, Report.status, fn.COUNT(Report.id).alias("n"))
            .where(Report.year >= periods[0].year)
            .group_by(Report.year, Report.half, Report.status).tuples())
    grouped: dict[tuple[int, int], dict[str, int]] = {}
    for year, half, status, number in rows:
        grouped.setdefault((year, half), {})[status] = number
    period_status = [
        PeriodStatus(p, sum(1 for m in municipalities if m.overlaps(p.start, p.end)),
                     grouped.get((p.year, p.half), {}))
        for p in reversed(periods)
    ]
    active = {a.municipality_id for a in OfficerAssignment.select(OfficerAssignment.municipality).where(
        OfficerAssignment.covering(today))}
    # a member of a contract whose lead has an officer is covered by that officer (R12): not a gap
    covered = {member.municipality_id for member in ContractMember.select(ContractMember.municipality, Contract.lead)
               .join(Contract).where(ContractMember.covering(today) & Contract.covering(today)
                                     & Contract.lead.in_(list(active) or [0]))}
    without_officer = [m for m in municipalities if m.covers(today) and m.id not in active | covered]
    payout = next_payout_date(today)
    base_year = payout.year if payout.month == 3 else payout.year + 1
    reference = date(base_year - 2, 12, 31)
    counted = {p.municipality_id for p in ForeignPopulation.select(ForeignPopulation.municipality)
               .where(ForeignPopulation.reference_date == reference)}
    missing_counts = [m for m in municipalities
                      if m.overlaps(date(base_year, 1, 1), date(base_year, 12, 31))
                      and not _counted(m, reference, counted, municipalities)]
    return {
        "counts": counts,
        "periods": period_status,
        "without_officer": sorted(without_officer, key=lambda m: m.bfs_nr),
        "base_year": base_year,
        "reference_date": reference,
        "missing_counts": sorted(missing_counts, key=lambda m: m.bfs_nr),
    }


def _counted(muni: Municipality, reference: date, counted: set[int], municipalities) -> bool:
    """R26: a municipality created after the reference date is covered by its predecessors' counts."""
    if muni.id in counted:
        return True
    if muni.covers(reference):
        return False
    predecessors = [m for m in municipalities if m.successor_id == muni.id]
    return bool(predecessors) and all(p.id in counted for p in predecessors)


def overdue_reports(overview: dict, today: date) -> int:
    """Reports of the overview's periods whose deadline has passed and that are not filed (R2): missing, draft or
    returned. Read from the figures already counted, no query."""
    return sum(p.missing + p.by_status.get(Status.DRAFT, 0) + p.by_status.get(Status.RETURNED, 0)
               for p in overview["periods"] if p.period.deadline < today)
