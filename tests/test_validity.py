"""One validity concept (issue 14): core.validity in Python, models.dated.Dated as SQL, both agree (R6, R12, R18, R26)."""
import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import IntegrityError

from core.validity import covers, overlaps
from models import Contract, ContractMember, FormVersion, Municipality, OfficerAssignment, Tariff, db
from payouts import inputs
from services.masterdata import first_overlap

ROOT = Path(__file__).resolve().parent.parent
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 2, 29))
OPEN_OR_DAY = st.none() | DAYS
WINDOW = [date(2019, 12, 31) + timedelta(days=n) for n in range(62)]  # one day either side of DAYS
DB_SETTINGS = settings(max_examples=40, deadline=None, database=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def ranges(draw, open_start=True):
    """A valid range: the end (if any) not before the start (if any), as the CHECK constraint demands."""
    start, end = draw(OPEN_OR_DAY if open_start else DAYS), draw(OPEN_OR_DAY)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end


def _days(valid_from, valid_to):
    return {day for day in WINDOW if (valid_from or date.min) <= day <= (valid_to or date.max)}


@given(ranges(), DAYS)
def test_r26_covers_is_membership_of_the_closed_range(rng, day):
    """covers(day) is true exactly for the days of [valid_from, valid_to]; None is an open end."""
    assert covers(*rng, day) == (day in _days(*rng))


@given(ranges(), ranges())
def test_r12_overlaps_is_symmetric_and_means_a_shared_day(a, b):
    """overlaps(a, b) == overlaps(b, a) == "some day is covered by both"."""
    assert overlaps(*a, *b) == overlaps(*b, *a) == bool(_days(*a) & _days(*b))


@given(ranges(), DAYS)
def test_r12_a_range_overlaps_a_day_it_covers(rng, day):
    assert overlaps(*rng, day, day) == covers(*rng, day)


def test_r6_r26_bounds_are_inclusive():
    assert covers(date(2024, 1, 1), date(2024, 6, 30), date(2024, 1, 1))
    assert covers(date(2024, 1, 1), date(2024, 6, 30), date(2024, 6, 30))
    assert not covers(date(2024, 1, 1), date(2024, 6, 30), date(2024, 7, 1))
    assert covers(None, None, date(1900, 1, 1))
    assert overlaps(date(2024, 1, 1), date(2024, 6, 30), date(2024, 6, 30), None)
    assert not overlaps(date(2024, 1, 1), date(2024, 6, 30), date(2024, 7, 1), None)


@given(ranges(), DAYS, DAYS)
def test_r6_r26_payout_inputs_use_the_same_predicates(rng, day, other):
    """The plain payout inputs (municipality, tariff, membership, assignment, contract) share the mixin."""
    start, end = min(day, other), max(day, other)
    muni = inputs.Municipality(1, 2601, "Solothurn", *rng)
    assert muni.covers(day) == covers(*rng, day) and muni.overlaps(start, end) == overlaps(*rng, start, end)
    if rng[0] is not None:
        for record in (inputs.Tariff(1, "fee_first_info", Decimal("200.00"), *rng, "§4.3.2"),
                       inputs.Membership(1, *rng), inputs.Assignment(1, *rng), inputs.Contract(1, "V", 1, "lead", *rng)):
            assert record.covers(day) == covers(*rng, day)
            assert record.overlaps(start, end) == overlaps(*rng, start, end)


def _compare_sql_with_python(model, rows, days):
    """Every `covering`/`overlapping` query returns exactly the rows whose Python predicate is true."""
    for day in days:
        in_sql = {r.id for r in model.select(model.id).where(model.covering(day))}
        assert in_sql == {r.id for r in rows if r.covers(day)}, day
    for start, end in zip(days, [*days[1:], None], strict=True):
        start, end = (min(start, end), max(start, end)) if end else (start, None)
        in_sql = {r.id for r in model.select(model.id).where(model.overlapping(start, end))}
        assert in_sql == {r.id for r in rows if r.overlaps(start, end)}, (start, end)
        assert in_sql == {r.id for r in rows if overlaps(r.valid_from, r.valid_to, start, end)}


@DB_SETTINGS
@given(st.lists(ranges(open_start=True), min_size=1, max_size=8), st.lists(DAYS, min_size=1, max_size=6))
def test_r26_municipality_covering_sql_equals_python_with_open_start(app, spans, days):
    """Municipality.valid_from is nullable (founded before the data): SQL and Python still agree."""
    with db.atomic() as transaction:
        rows = [Municipality.create(bfs_nr=5000 + n, name=f"G{n}", district="Lebern", valid_from=start,
                                    valid_to=end) for n, (start, end) in enumerate(spans)]
        _compare_sql_with_python(Municipality, rows, days)
        year_query = {m.id for m in Municipality.valid_in_year(2020)}
        assert year_query == {m.id for m in Municipality.select() if m.overlaps(date(2020, 1, 1), date(2020, 12, 31))}
        transaction.rollback()


@DB_SETTINGS
@given(st.lists(ranges(open_start=False), min_size=1, max_size=8), st.lists(DAYS, min_size=1, max_size=6))
def test_r12_r18_contract_covering_sql_equals_python(app, spans, days):
    """A range with a required start (contracts, memberships, assignments, tariffs, form versions)."""
    with db.atomic() as transaction:
        lead = Municipality.create(bfs_nr=4999, name="Lead", district="Lebern")
        rows = [Contract.create(reference=f"T{n}", lead=lead, valid_from=start, valid_to=end)
                for n, (start, end) in enumerate(spans)]
        _compare_sql_with_python(Contract, rows, days)
        transaction.rollback()


@pytest.mark.parametrize("model", [Municipality, OfficerAssignment, Contract, ContractMember, Tariff, FormVersion])
def test_dated_models_keep_their_columns_and_nullability(model):
    """No schema change: the same two columns, only the municipality's start may be unknown (R26)."""
    assert model.valid_from.column_name == "valid_from" and model.valid_to.column_name == "valid_to"
    assert model.valid_from.null is (model is Municipality) and model.valid_to.null is True
    assert hasattr(model, "covering") and hasattr(model, "overlapping")


def test_r5_validity_check_refuses_an_end_before_the_start(app, make_municipality):
    """The CHECK constraint is still in the database for every dated table."""
    lead = make_municipality()
    attempts = [
        lambda: Municipality.create(bfs_nr=2999, name="X", district="Lebern", valid_from=date(2024, 1, 1),
                                    valid_to=date(2023, 12, 31)),
        lambda: Contract.create(reference="X", lead=lead, valid_from=date(2024, 1, 1), valid_to=date(2023, 1, 1)),
        lambda: Tariff.create(kind="fee_first_info", amount=1, valid_from=date(2040, 1, 1),
                              valid_to=date(2039, 12, 31), reference="x"),
        lambda: FormVersion.create(form_type="report", name="X", valid_from=date(2040, 1, 1),
                                   valid_to=date(2039, 1, 1)),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), db.atomic():
            attempt()


def test_r6_first_overlap_is_the_one_overlap_check(app):
    """masterdata and the contract import ask the same function; it finds the earliest overlapping row."""
    query = Tariff.select().where(Tariff.kind == "fee_first_info")
    assert first_overlap(query, date(2030, 1, 1), None).valid_from == date(2017, 1, 1)
    assert first_overlap(query, date(2010, 1, 1), date(2016, 12, 31)) is None
    source = (ROOT / "services" / "imports.py").read_text()
    assert "first_overlap(" in source


def test_core_is_plain_python():
    """core/ sits below models and payouts: it imports only the standard library."""
    for path in (ROOT / "core").glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names}
        modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert not modules & {"flask", "peewee", "playhouse", "models", "payouts", "services", "auth"}, path
