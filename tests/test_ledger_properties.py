"""Issue 13: no report component is ever paid twice across any sequence of prepare, approve and correct.

A hypothesis state machine drives the pure engine the way the services do: prepare (compute) any
number of times, approve (write the ledger part of the lines), correct accepted reports up or down,
decide clawbacks. After every approval, each claim's ledger equals the report as it stands (R14, R15),
every revision is credited once, and no payee is ever paid a negative amount (R16).
"""
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from test_payout_rules import TARIFFS, inputs, muni, paid_from, report

from core.calendar import HalfYear, fee_period
from payouts.inputs import Clawback
from payouts.rules import compute

PAYOUT_DATES = [date(2024, 3, 31), date(2024, 9, 30), date(2025, 3, 31), date(2025, 9, 30), date(2026, 3, 31),
                date(2026, 9, 30)]
PERIODS = [HalfYear(2023, 2), HalfYear(2024, 1), HalfYear(2024, 2), HalfYear(2025, 1), HalfYear(2025, 2),
           HalfYear(2026, 1)]
MUNICIPALITIES = [muni(1), muni(2), muni(3)]
KEYS = {"case_first_info": "fi", "interpreter_first_info": "fi_int", "case_integration": "ig",
        "interpreter_integration": "ig_int"}
RATES = {t.kind: t.amount for t in TARIFFS}


class PaymentLedger(RuleBasedStateMachine):
    """The services' sequence of runs over the pure rules, with the ledger as the only memory."""

    @initialize()
    def start(self):
        self.reports: dict[tuple[int, HalfYear], dict] = {}
        self.ledger = []
        self.clawbacks: list[Clawback] = []
        self.settled: dict[int, Decimal] = defaultdict(Decimal)
        self.invoiced: set[int] = set()
        self.next_run = 0
        self.next_id = 100

    def _inputs(self, payout_date):
        reports = [report(10 * m + PERIODS.index(p), m, p.year, p.half, **counts)
                   for (m, p), counts in self.reports.items()]
        clawbacks = [Clawback(c.id, c.municipality_id, c.amount, c.reason, c.decided_on, self.settled[c.id],
                              c.id in self.invoiced) for c in self.clawbacks]
        return inputs(payout_date=payout_date, municipalities=MUNICIPALITIES, go_live=PAYOUT_DATES[0],
                      reports=reports, ledger=list(self.ledger), clawbacks=clawbacks)

    @precondition(lambda self: self.next_run < len(PAYOUT_DATES))
    @rule(m=st.sampled_from([1, 2, 3]), fi=st.integers(0, 6), ig=st.integers(0, 4), extra=st.integers(0, 3))
    def file_report(self, m, fi, ig, extra):
        """An accepted report for a half-year that has ended by the next run."""
        period = fee_period(PAYOUT_DATES[self.next_run])
        candidates = [p for p in PERIODS if p <= period and (m, p) not in self.reports]
        if candidates:
            counts = {"fi": fi, "fi_int": min(extra, fi)}
            if candidates[0].year >= 2022:
                counts.update(ig=ig, ig_int=min(extra, ig))
            self.reports[(m, candidates[0])] = counts

    @rule(data=st.data())
    def correct_report(self, data):
        """R15: an accepted (and maybe paid) report is corrected up or down."""
        if not self.reports:
            return
        key = data.draw(st.sampled_from(sorted(self.reports, key=lambda k: (k[0], k[1]))))
        counts = dict(self.reports[key])
        field = data.draw(st.sampled_from(sorted(counts)))
        counts[field] = data.draw(st.integers(0, 8))
        self.reports[key] = counts

    @precondition(lambda self: self.next_run < len(PAYOUT_DATES))
    @rule(m=st.sampled_from([1, 2, 3]), amount=st.integers(1, 3000))
    def decide_clawback(self, m, amount):
        self.next_id += 1
        decided = PAYOUT_DATES[self.next_run].replace(day=1)
        self.clawbacks.append(Clawback(self.next_id, m, Decimal(amount), "Rückforderung", decided))

    @precondition(lambda self: self.next_run < len(PAYOUT_DATES))
    @rule(times=st.integers(1, 3))
    def prepare_and_approve(self, times):
        """Preparing again changes nothing; approval credits the ledger once."""
        payout_date = PAYOUT_DATES[self.next_run]
        results = [compute(self._inputs(payout_date)) for _ in range(times)]
        assert all(r.lines == results[0].lines for r in results)
        result = results[0]
        assert not result.blockers
        self.ledger = paid_from(result, ledger=self.ledger)
        for line in result.lines:
            if line.clawback_id is not None:
                self.settled[line.clawback_id] -= line.amount
        for draft in result.invoices:
            if draft.clawback_id is not None:
                self.settled[draft.clawback_id] += draft.amount
                self.invoiced.add(draft.clawback_id)
        for amount in result.net_by_payee().values():
            assert amount >= 0  # R16: never a negative payout
        self.next_run += 1
        self.last = payout_date
        self.check_ledger_matches_reports(fee_period(payout_date))

    def check_ledger_matches_reports(self, up_to: HalfYear):
        credited = defaultdict(int)
        for item in self.ledger:
            credited[(item.municipality_id, item.component, item.claim)] += item.quantity
        for (m, period), counts in self.reports.items():
            if period > up_to:
                continue
            for component, key in KEYS.items():
                assert credited[(m, component, period.code)] == counts.get(key, 0), (m, period, component)

    @invariant()
    def every_revision_is_credited_once(self):
        keys = Counter((i.municipality_id, i.component, i.claim, i.revision) for i in self.ledger)
        assert all(count == 1 for count in keys.values())

    @invariant()
    def credited_amounts_are_quantity_times_the_first_rate(self):
        totals = defaultdict(lambda: [0, Decimal("0")])
        for item in self.ledger:
            if item.component == "base_contribution":
                continue
            totals[(item.municipality_id, item.component, item.claim)][0] += item.quantity
            totals[(item.municipality_id, item.component, item.claim)][1] += item.amount
        for (_m, component, claim), (quantity, amount) in totals.items():
            kind = {"case_first_info": "fee_first_info", "interpreter_first_info": "fee_interpreter_first_info",
                    "case_integration": "fee_integration",
                    "interpreter_integration": "fee_interpreter_integration"}[component]
            assert amount == RATES[kind] * quantity, (component, claim)

    @invariant()
    def clawbacks_never_settle_more_than_decided(self):
        for clawback in self.clawbacks:
            assert self.settled[clawback.id] <= clawback.amount


PaymentLedger.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_r14_r15_r16_no_report_component_is_ever_paid_twice = PaymentLedger.TestCase
