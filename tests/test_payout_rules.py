"""The pure payout rules (R4–R17, R26): no database, no Flask; every rule named, the worked example exact."""
import ast
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import HalfYear, fee_period, is_payout_date, next_payout_date
from payouts.inputs import (
    COUNT_KEYS,
    FEE_COMPONENTS,
    Assignment,
    Clawback,
    Contract,
    Decision,
    LedgerItem,
    Membership,
    Municipality,
    Population,
    Report,
    RunInputs,
    SelfDeclaration,
    Tariff,
)
from payouts.offsets import invoice_due
from payouts.rules import compute, fee_items

D = Decimal
MARCH_2024 = date(2024, 3, 31)
TARIFFS = [
    Tariff(1, "fee_first_info", D("200.00"), date(2017, 1, 1), None, "§4.3.2"),
    Tariff(2, "fee_interpreter_first_info", D("160.00"), date(2018, 7, 1), None, "§4.3.2 Fn. 3"),
    Tariff(3, "base_per_foreign_resident", D("7.00"), date(2018, 1, 1), None, "§4.3.2"),
    Tariff(4, "fee_integration", D("200.00"), date(2022, 1, 1), None, "§4.3.2"),
    Tariff(5, "fee_interpreter_integration", D("160.00"), date(2022, 1, 1), None, "§4.3.2"),
]


def muni(id_, name=None, **kw):
    kw.setdefault("organisation_settled_on", date(2017, 1, 1))
    return Municipality(id_, 2500 + id_, name or f"Gemeinde {id_}", **kw)


def report(id_, municipality_id, year, half, fi=0, fi_int=0, ig=0, ig_int=0, status="accepted", late=False):
    counts = {"first_info_interviews": fi, "first_info_interpreter": fi_int, "integration_interviews": ig,
              "integration_interpreter": ig_int}
    return Report(id_, municipality_id, HalfYear(year, half), status, late, counts)


def inputs(payout_date=MARCH_2024, municipalities=None, **kw):
    municipalities = municipalities or [muni(1, "Gemeinde A")]
    kw.setdefault("assignments", [Assignment(m.id, date(2017, 1, 1), None) for m in municipalities])
    kw.setdefault("self_declarations", [SelfDeclaration(m.id, y, "accepted") for m in municipalities
                                        for y in range(2018, 2030)])
    kw.setdefault("population", [Population(m.id, date(y, 12, 31), 100) for m in municipalities
                                 for y in range(2016, 2028)])
    kw.setdefault("tariffs", TARIFFS)
    return RunInputs(payout_date=payout_date, municipalities=municipalities, **kw)


def by_component(result, municipality_id=1):
    return {line.component: line for line in result.lines if line.municipality_id == municipality_id}


def paid_from(result, payout_date=None, ledger=()):
    """The ledger after approving `result` on top of `ledger` (what the approval writes, issue 13)."""
    return list(ledger) + [
        LedgerItem(line.municipality_id, line.period.partition(":")[2] or line.component, line.period.partition(":")[0],
                   line.revision, line.ledger_quantity, line.rate or Decimal("0.00"), line.ledger_amount)
        for line in result.lines if line.ledger_quantity is not None]


# --- the worked example of DOMAIN.md ---------------------------------------------------------------

def test_worked_example_of_domain_md_exactly():
    a = muni(1, "Gemeinde A")
    result = compute(inputs(
        municipalities=[a],
        population=[Population(1, date(2022, 12, 31), 1250)],
        reports=[report(10, 1, 2023, 2, fi=8, fi_int=3, ig=2, ig_int=1)],
        self_declarations=[SelfDeclaration(1, 2024, "accepted")],
        clawbacks=[Clawback(7, 1, D("12000.00"), "Rückforderung", date(2024, 2, 1))],
    ))
    lines = by_component(result)
    assert lines["case_first_info"].amount + lines["case_integration"].amount == D("2000.00")
    assert lines["interpreter_first_info"].amount + lines["interpreter_integration"].amount == D("640.00")
    assert lines["base_contribution"].amount == D("8750.00") and lines["base_contribution"].quantity == 1250
    assert lines["clawback_offset"].amount == D("-11390.00")
    assert result.total == D("0.00") and not result.blockers and not result.withheld
    [invoice] = result.invoices
    assert invoice.amount == D("610.00") and invoice.clawback_id == 7
    assert invoice_due(MARCH_2024) == date(2024, 4, 30)
    assert "1’250" in lines["base_contribution"].explanation and "8’750.00" in lines["base_contribution"].explanation


# --- calendar -------------------------------------------------------------------------------------

def test_r1_r2_half_years_and_deadlines():
    assert (HalfYear(2026, 1).start, HalfYear(2026, 1).end) == (date(2026, 1, 1), date(2026, 6, 30))
    assert HalfYear(2026, 1).deadline == date(2026, 7, 31) and HalfYear(2026, 2).deadline == date(2027, 1, 31)


def test_r4_payout_dates_and_what_they_pay():
    assert is_payout_date(date(2026, 3, 31)) and is_payout_date(date(2026, 9, 30))
    assert not is_payout_date(date(2026, 3, 30))
    assert fee_period(date(2026, 3, 31)) == HalfYear(2025, 2) and fee_period(date(2026, 9, 30)) == HalfYear(2026, 1)
    assert next_payout_date(date(2026, 11, 25)) == date(2027, 3, 31)
    with pytest.raises(ValueError):
        compute(inputs(payout_date=date(2024, 4, 1)))


def test_r4_september_run_pays_h1_and_no_base_contribution():
    result = compute(inputs(payout_date=date(2024, 9, 30), reports=[report(1, 1, 2024, 1, fi=2)]))
    assert {line.component for line in result.lines} == {"case_first_info"}


# --- tariffs and amounts --------------------------------------------------------------------------

def test_r6_fee_uses_tariff_valid_on_first_day_of_half_year():
    tariffs = [*TARIFFS, Tariff(9, "fee_first_info", D("250.00"), date(2024, 1, 1), None, "2024")]
    tariffs[0] = replace(tariffs[0], valid_to=date(2023, 12, 31))
    result = compute(inputs(reports=[report(1, 1, 2023, 2, fi=1)], tariffs=tariffs))
    assert by_component(result)["case_first_info"].rate == D("200.00")
    september = compute(inputs(payout_date=date(2024, 9, 30), reports=[report(1, 1, 2024, 1, fi=1)], tariffs=tariffs))
    assert by_component(september)["case_first_info"].rate == D("250.00")


def test_r6_missing_tariff_means_not_payable_never_a_blocker_never_paid():
    """Issue 13: R6 says a component without a tariff is not payable; it never blocks the run."""
    result = compute(inputs(payout_date=date(2018, 3, 31), reports=[report(1, 1, 2017, 2, fi=2, fi_int=1)]))
    line = by_component(result)["interpreter_first_info"]
    assert line.status == "withheld" and line.amount == 0 and "kein gültiger Tarif" in line.explanation
    assert not result.blockers
    assert [w.kind for w in result.withheld if w.rule == "R6"] == ["not_payable"]
    assert by_component(result)["case_first_info"].status == "payable"
    later = compute(inputs(payout_date=date(2018, 9, 30), go_live=date(2018, 3, 31),
                           reports=[report(1, 1, 2017, 2, fi=2, fi_int=1)], ledger=paid_from(result)))
    assert not later.lines and not [w for w in later.withheld if w.kind == "not_payable"]  # listed once


def test_r8_r9_case_and_interpreter_fees():
    lines = by_component(compute(inputs(reports=[report(1, 1, 2023, 2, fi=3, fi_int=2, ig=4, ig_int=1)])))
    assert lines["case_first_info"].amount == D("600.00") and lines["case_integration"].amount == D("800.00")
    assert lines["interpreter_first_info"].amount == D("320.00")
    assert lines["interpreter_integration"].amount == D("160.00")


def test_r10_base_contribution_uses_count_two_years_back():
    population = [Population(1, date(2022, 12, 31), 300), Population(1, date(2023, 12, 31), 999)]
    line = by_component(compute(inputs(population=population)))["base_contribution"]
    assert (line.quantity, line.amount, line.period) == (300, D("2100.00"), "2024")


def test_r10_missing_count_blocks_the_base_contribution():
    result = compute(inputs(population=[Population(1, date(2023, 12, 31), 999)]))
    line = by_component(result)["base_contribution"]
    assert line.status == "blocked" and line.amount == 0 and "31.12.2022" in line.explanation
    assert [b.kind for b in result.blockers] == ["missing_population"]


# --- eligibility and payees -----------------------------------------------------------------------

@pytest.mark.parametrize("change, reason", [
    ({"municipalities": [muni(1, organisation_settled_on=None)]}, "R12 a"),
    ({"assignments": []}, "R12 b"),
])
def test_r12_ineligible_unit_is_withheld_with_reason(change, reason):
    result = compute(inputs(reports=[report(1, 1, 2023, 2, fi=1)], **change))
    assert {line.status for line in result.lines} == {"withheld"} and result.total == 0
    assert any(reason in issue.message for issue in result.withheld)


def test_r12c_base_contribution_needs_the_self_declaration_of_the_year():
    result = compute(inputs(self_declarations=[SelfDeclaration(1, 2023, "accepted"),
                                               SelfDeclaration(1, 2024, "draft")]))
    assert by_component(result)["base_contribution"].status == "withheld"
    assert any("Selbstdeklaration 2024" in issue.message for issue in result.withheld)


def test_r12_eligibility_is_evaluated_on_the_contract_lead():
    lead, member = muni(1, "Leitdorf"), muni(2, "Mitdorf", organisation_settled_on=None)
    contract = Contract(1, "V", 1, "lead", date(2020, 1, 1), None, (Membership(2, date(2020, 1, 1), None),))
    result = compute(inputs(municipalities=[lead, member], contracts=[contract],
                            assignments=[Assignment(1, date(2017, 1, 1), None)],
                            reports=[report(1, 1, 2023, 2, fi=1), report(2, 2, 2023, 2, fi=2)]))
    assert all(line.status == "payable" for line in result.lines)


@pytest.mark.parametrize("payee, expected", [("lead", 1), ("member", 2)])
def test_r13_contract_names_the_payee_reports_stay_per_member(payee, expected):
    lead, member = muni(1, "Leitdorf"), muni(2, "Mitdorf")
    contract = Contract(1, "V", 1, payee, date(2020, 1, 1), None, (Membership(2, date(2020, 1, 1), None),))
    result = compute(inputs(municipalities=[lead, member], contracts=[contract],
                            reports=[report(1, 1, 2023, 2, fi=1), report(2, 2, 2023, 2, fi=2)]))
    member_line = by_component(result, 2)["case_first_info"]
    assert member_line.payee_id == expected and member_line.quantity == 2


# --- missing, late, refused, corrections ----------------------------------------------------------

def test_r14_missing_report_is_listed_and_paid_once_accepted_in_the_next_run():
    first = compute(inputs(reports=[report(1, 1, 2023, 2, fi=1, status="draft")]))
    assert "case_first_info" not in by_component(first)
    assert any(i.kind == "missing_report" for i in first.withheld)
    later = compute(inputs(payout_date=date(2024, 9, 30), go_live=MARCH_2024,
                           reports=[report(1, 1, 2023, 2, fi=1, late=True), report(2, 1, 2024, 1, fi=2)]))
    carried = [line for line in later.lines if line.period == "2023-H2"]
    assert len(carried) == 1 and "Nachzahlung" in carried[0].explanation and "R14" in carried[0].rule


def test_r14_submitted_report_not_reviewed_is_a_blocker():
    result = compute(inputs(reports=[report(1, 1, 2023, 2, fi=1, status="submitted")]))
    assert [b.kind for b in result.blockers] == ["unreviewed_report"]


def test_r14_refused_late_report_is_excluded_with_the_reason():
    result = compute(inputs(reports=[report(5, 1, 2023, 2, fi=1, late=True)],
                            decisions=[Decision("refuse_late_report", 1, 5, "Drei Monate zu spät")]))
    assert "case_first_info" not in by_component(result)
    assert any("Drei Monate zu spät" in i.message for i in result.withheld)


def test_r14_paid_report_is_never_paid_twice():
    base = inputs(reports=[report(1, 1, 2023, 2, fi=3)])
    first = compute(base)
    again = compute(replace(base, payout_date=date(2024, 9, 30), go_live=MARCH_2024,
                            ledger=paid_from(first, MARCH_2024)))
    assert not [line for line in again.lines if line.report_id == 1]


@pytest.mark.parametrize("new_count, expected", [(5, D("400.00")), (1, D("-400.00"))])
def test_r15_correction_of_a_paid_report_yields_the_difference(new_count, expected):
    first = compute(inputs(reports=[report(1, 1, 2023, 2, fi=3)]))
    later = compute(inputs(payout_date=date(2024, 9, 30), go_live=MARCH_2024,
                           reports=[report(1, 1, 2023, 2, fi=new_count), report(2, 1, 2024, 1, fi=10)],
                           ledger=paid_from(first, MARCH_2024)))
    [correction] = [line for line in later.lines if line.component == "correction"]
    assert correction.amount == expected and correction.rule == "R15"


def test_r15_r16_negative_correction_above_the_payout_is_invoiced():
    first = compute(inputs(reports=[report(1, 1, 2023, 2, fi=10)]))
    later = compute(inputs(payout_date=date(2024, 9, 30), go_live=MARCH_2024,
                           reports=[report(1, 1, 2023, 2, fi=0), report(2, 1, 2024, 1, fi=1)],
                           ledger=paid_from(first, MARCH_2024)))
    assert later.total == 0 and [i.amount for i in later.invoices] == [D("1800.00")]


def test_r16_invoiced_clawback_is_not_offset_again():
    result = compute(inputs(reports=[report(1, 1, 2023, 2, fi=1)],
                            clawbacks=[Clawback(1, 1, D("500.00"), "x", date(2024, 1, 1), D("100.00"), True)]))
    assert "clawback_offset" not in by_component(result)


def test_r16_partly_offset_clawback_offsets_only_the_open_rest():
    result = compute(inputs(clawbacks=[Clawback(1, 1, D("500.00"), "x", date(2024, 1, 1), D("450.00"))]))
    assert by_component(result)["clawback_offset"].amount == D("-50.00") and not result.invoices


# --- mergers --------------------------------------------------------------------------------------

def test_r26_dues_of_an_abolished_municipality_go_to_its_successor():
    old = muni(1, "Halten", valid_to=date(2025, 12, 31), successor_id=3)
    new = muni(3, "Kriegstetten")
    result = compute(inputs(payout_date=date(2026, 3, 31), municipalities=[old, new],
                            reports=[report(1, 1, 2025, 2, fi=2), report(2, 3, 2025, 2, fi=1)]))
    assert by_component(result, 1)["case_first_info"].payee_id == 3
    assert "base_contribution" not in by_component(result, 1)


def test_r26_base_contribution_sums_the_merged_predecessors():
    halten = muni(1, "Halten", valid_to=date(2025, 12, 31), successor_id=3)
    oekingen = muni(2, "Oekingen", valid_to=date(2025, 12, 31), successor_id=3)
    kriegstetten = muni(3, "Kriegstetten")
    counts = [Population(1, date(2024, 12, 31), 76), Population(2, date(2024, 12, 31), 60),
              Population(3, date(2024, 12, 31), 198)]
    line = by_component(compute(inputs(payout_date=date(2026, 3, 31), municipalities=[halten, oekingen, kriegstetten],
                                       population=counts)), 3)["base_contribution"]
    assert line.quantity == 334 and line.amount == D("2338.00") and "R26" in line.explanation


def test_r26_new_municipality_uses_the_sum_of_its_predecessors():
    a = muni(1, "A", valid_to=date(2024, 12, 31), successor_id=3)
    b = muni(2, "B", valid_to=date(2024, 12, 31), successor_id=3)
    new = muni(3, "Neu", valid_from=date(2025, 1, 1))
    counts = [Population(1, date(2023, 12, 31), 10), Population(2, date(2023, 12, 31), 5)]
    line = by_component(compute(inputs(payout_date=date(2025, 3, 31), municipalities=[a, b, new],
                                       population=counts)), 3)["base_contribution"]
    assert line.quantity == 15


# --- properties -----------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=60)


@st.composite
def scenarios(draw):
    size = draw(st.integers(min_value=1, max_value=5))
    municipalities = [muni(i, organisation_settled_on=draw(st.sampled_from([date(2018, 1, 1), None])))
                      for i in range(1, size + 1)]
    reports = [report(i, i, 2023, 2, *(draw(counts) for _ in range(4)),
                      status=draw(st.sampled_from(["accepted", "accepted", "draft"])))
               for i in range(1, size + 1)]
    clawbacks = [Clawback(i + 1, draw(st.integers(1, size)),
                          D(draw(st.integers(min_value=1, max_value=2_000_000))) / 100, "x", date(2024, 1, 1))
                 for i in range(draw(st.integers(0, 4)))]
    population = [Population(m.id, date(2022, 12, 31), draw(st.integers(0, 5000))) for m in municipalities]
    return inputs(municipalities=municipalities, reports=reports, clawbacks=clawbacks, population=population)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_properties_totals_nets_offsets_and_determinism(scenario):
    result = compute(scenario)
    payable = [line for line in result.lines if line.status == "payable"]
    assert result.total == sum((line.amount for line in payable), D("0"))
    assert all(net >= 0 for net in result.net_by_payee().values())
    offsets = -sum((line.amount for line in result.lines if line.component == "clawback_offset"), D("0"))
    assert offsets <= sum((c.open_amount for c in scenario.clawbacks), D("0"))
    invoiced = sum((i.amount for i in result.invoices), D("0"))
    offset_by_clawback = {line.clawback_id: -line.amount for line in result.lines if line.clawback_id is not None}
    for clawback in scenario.clawbacks:  # offset + invoiced + still open = decided amount
        offset = offset_by_clawback.get(clawback.id, D("0"))
        rest = sum((i.amount for i in result.invoices if i.clawback_id == clawback.id), D("0"))
        assert offset + rest in (D("0"), clawback.amount)
    assert invoiced >= 0
    assert compute(scenario) == result


@settings(max_examples=50, deadline=None)
@given(st.decimals(min_value=D("100"), max_value=D("500"), places=2))
def test_property_tariff_change_after_a_run_leaves_paid_lines_alone(new_rate):
    first = compute(inputs(reports=[report(1, 1, 2023, 2, fi=3)]))
    tariffs = [replace(t, amount=new_rate) if t.kind == "fee_first_info" else t for t in TARIFFS]
    later = compute(inputs(payout_date=date(2024, 9, 30), go_live=MARCH_2024, tariffs=tariffs,
                           reports=[report(1, 1, 2023, 2, fi=3)], ledger=paid_from(first, MARCH_2024)))
    assert not [line for line in later.lines if line.report_id == 1]  # R7: no correction from a tariff change


def test_rules_core_imports_neither_flask_nor_peewee():
    for name in ("payouts/rules.py", "payouts/index.py", "payouts/base_contributions.py", "payouts/offsets.py",
                 "payouts/inputs.py", "core/calendar.py", "core/formatting.py", "core/validity.py"):
        tree = ast.parse((Path(__file__).resolve().parent.parent / name).read_text())
        modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names}
        modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert not modules & {"flask", "peewee", "models", "playhouse", "services", "auth", "forms", "views", "admin",
                               "cli", "app", "werkzeug", "jinja2"}, name


def test_r10_r12_missing_count_of_an_ineligible_municipality_does_not_block():
    result = compute(inputs(population=[], assignments=[]))
    assert not result.blockers and by_component(result)["base_contribution"].status == "withheld"


# --- one fee calculation for the run and the submission preview (R6, R8, R9) -----------------------

@st.composite
def fee_cases(draw):
    period = HalfYear(draw(st.integers(min_value=2017, max_value=2027)), draw(st.sampled_from([1, 2])))
    counts_of = {key: draw(counts) for key in COUNT_KEYS}
    tariffs = [Tariff(i, kind, D(draw(st.integers(min_value=0, max_value=100_000))) / 100,
                      draw(st.dates(min_value=date(2017, 1, 1), max_value=date(2028, 1, 1))), None, "§4.3.2")
               for i, kind in enumerate(draw(st.lists(st.sampled_from([k for _, k, _, _ in FEE_COMPONENTS.values()]),
                                                      unique=True)), start=1)]
    return period, counts_of, tariffs


@settings(max_examples=200, deadline=None)
@given(fee_cases())
def test_r6_r8_r9_preview_function_gives_the_run_amounts(case):
    """The preview's fee_items and the run's lines agree for any counts, period and tariffs (no tariff = not payable)."""
    period, counts_of, tariffs = case
    payout_date = date(period.year, 9, 30) if period.half == 1 else date(period.year + 1, 3, 31)
    run = compute(inputs(payout_date=payout_date, tariffs=tariffs,
                         reports=[report(1, 1, period.year, period.half, *counts_of.values())]))
    lines = {line.component: line for line in run.lines if line.report_id == 1}
    valid = {t.kind: t for t in tariffs if t.covers(period.start)}  # what the preview's query returns
    items = fee_items(lambda key: counts_of[key], period, lambda kind, _day: valid.get(kind))
    assert set(lines) == {item.component for item in items}
    for item in items:
        line = lines[item.component]
        assert (line.quantity, line.rate) == (item.quantity, item.rate)
        assert line.amount == (item.amount if item.amount is not None else D("0.00"))
        assert (line.status == "withheld") == (item.tariff is None)  # R6: not payable, never blocked (issue 13)
