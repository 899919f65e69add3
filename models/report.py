"""Half-yearly report (Anhang 2) of one municipality (R1, R2, R14, R18–R22)."""
import json

from peewee import Check, ForeignKeyField, IntegerField, TextField

from .form_version import FormVersion
from .municipality import Municipality
from .submittable import STATUSES, Submittable

__all__ = ["Report", "STATUSES"]


class Report(Submittable):
    municipality = ForeignKeyField(Municipality, backref="reports", on_delete="RESTRICT")
    year = IntegerField(constraints=[Check("year BETWEEN 2017 AND 2100")])
    half = IntegerField(constraints=[Check("half IN (1, 2)")])
    form_version = ForeignKeyField(FormVersion, backref="reports", on_delete="RESTRICT")
    values_json = TextField(default="{}")

    class Meta:
        indexes = ((("municipality", "year", "half"), True),)

    def __str__(self):
        return f"Reporting {self.half}. Halbjahr {self.year} – {self.municipality}"

    @property
    def values(self) -> dict:
        return json.loads(self.values_json or "{}")

    @values.setter
    def values(self, data: dict) -> None:
        self.values_json = json.dumps(data, sort_keys=True, ensure_ascii=False)

    def count(self, key: str) -> int:
        """A payout-relevant count (R18 keys); absent keys count as 0."""
        return int(self.values.get(key) or 0)
