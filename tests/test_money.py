"""R11: money is exact – Decimal in code, integer centimes in the database, on both backends."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Budget, Tariff, db, to_decimal
from models.base import MoneyField


def test_r11_money_round_trips_largest_amount_exactly(app):
    """99'999'999'999.95 comes back to the centime, stored as integer centimes."""
    amount = Decimal("99999999999.95")
    Budget.create(year=2030, credit=amount)
    assert Budget.get(Budget.year == 2030).credit == amount
    raw = db.execute_sql("SELECT credit FROM budget WHERE year = 2030").fetchone()[0]
    assert raw == 9999999999995 and isinstance(raw, int)


def test_r11_sql_sum_of_money_is_exact(app):
    for year, credit in ((2031, "0.10"), (2032, "0.20"), (2033, "0.70")):
        Budget.create(year=year, credit=Decimal(credit))
    total = db.execute_sql("SELECT SUM(credit) FROM budget").fetchone()[0]
    assert MoneyField().python_value(total) == Decimal("1.00")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(cents=st.integers(min_value=0, max_value=99_999_999_999_99))
def test_r11_any_amount_round_trips(app, cents):
    amount = Decimal(cents) / 100
    tariff = Tariff.create(kind="fee_first_info", amount=amount, valid_from="2040-01-01",
                           reference="Test")
    try:
        assert Tariff.get_by_id(tariff.id).amount == amount.quantize(Decimal("0.01"))
    finally:
        tariff.delete_instance()


@pytest.mark.parametrize("bad", [1.1, "abc", "NaN", "Infinity", "1.005"])
def test_r11_money_refuses_float_and_inexact_values(bad):
    with pytest.raises((TypeError, ValueError)):
        to_decimal(bad)


def test_r11_money_normalises_to_two_places():
    assert to_decimal("7") == Decimal("7.00") and str(to_decimal("7")) == "7.00"
    assert to_decimal(Decimal("-12.5")) == Decimal("-12.50")
