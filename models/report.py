"""Half-yearly report (Anhang 2) of one municipality (R1, R2, R14, R18–R22)."""
from datetime import date, timedelta

from peewee import Check, ForeignKeyField, IntegerField

from core.calendar import HalfYear

from .form_version import FormVersion
from .municipality import Municipality
from .submittable import Submittable


class Report(Submittable):
    kind = "report"
    municipality = ForeignKeyField(Municipality, backref="reports", on_delete="RESTRICT")
    year = IntegerField(constraints=[Check("year BETWEEN 2017 AND 2100")])
    half = IntegerField(constraints=[Check("half IN (1, 2)")])
    form_version = ForeignKeyField(FormVersion, backref="reports", on_delete="RESTRICT")

    class Meta:
        indexes = ((("municipality", "year", "half"), True),)

    def __str__(self):
        return f"{self.title} – {self.municipality}"

    @property
    def period(self) -> HalfYear:
        return HalfYear(self.year, self.half)

    @property
    def deadline(self):
        """R2: H1 due 31.07.Y, H2 due 31.01.(Y+1)."""
        return self.period.deadline

    @property
    def title(self) -> str:
        return f"Reporting {self.period.label}"

    @property
    def fee_period(self) -> HalfYear:
        return self.period

    @property
    def opens_on(self) -> date:
        return self.period.end + timedelta(days=1)

    @property
    def covers(self) -> tuple[date, date]:
        return self.period.start, self.period.end

    def count(self, key: str) -> int:
        """A payout-relevant count (R18 keys); absent keys count as 0."""
        return int(self.values.get(key) or 0)
