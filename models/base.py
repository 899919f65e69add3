"""Database handle, base model and the money field shared by every entity."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from peewee import BigIntegerField, DatabaseProxy, Model

db = DatabaseProxy()

CENT = Decimal("0.01")


def to_decimal(value) -> Decimal:
    """Turn a user or DB value into an exact CHF Decimal with two places (R11)."""
    if isinstance(value, float):
        raise TypeError("Geldbeträge dürfen keine float-Werte sein")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"Ungültiger Betrag: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"Ungültiger Betrag: {value!r}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(f"Betrag mit mehr als zwei Nachkommastellen: {value}")
    return amount.quantize(CENT)


class MoneyField(BigIntegerField):
    """CHF amount stored as integer centimes, exposed as Decimal (R11, STACK_NOTES)."""

    def db_value(self, value):
        if value is None:
            return None
        return int(to_decimal(value) * 100)

    def python_value(self, value):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
