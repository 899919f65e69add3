"""Yearly self-declaration (Anhang 3); "Selbstdeklaration Y" is due 31.01.Y (R3, R21)."""
from datetime import date

from peewee import Check, ForeignKeyField, IntegerField

from core.calendar import self_declaration_deadline

from .form_version import FormVersion
from .municipality import Municipality
from .submittable import Submittable


class SelfDeclaration(Submittable):
    kind = "self_declaration"
    municipality = ForeignKeyField(Municipality, backref="self_declarations", on_delete="RESTRICT")
    year = IntegerField(constraints=[Check("year BETWEEN 2017 AND 2100")])
    form_version = ForeignKeyField(FormVersion, backref="self_declarations", on_delete="RESTRICT")

    class Meta:
        indexes = ((("municipality", "year"), True),)

    def __str__(self):
        return f"{self.title} – {self.municipality}"

    @property
    def deadline(self):
        """R3: "Selbstdeklaration Y" is due 31.01.Y."""
        return self_declaration_deadline(self.year)

    @property
    def title(self) -> str:
        return f"Selbstdeklaration {self.year}"

    @property
    def opens_on(self) -> date:
        """R3: it reports on year Y−1 and may be filed during that year (the circular sets only the deadline)."""
        return date(self.year - 1, 1, 1)

    @property
    def covers(self) -> tuple[date, date]:
        return date(self.year - 1, 1, 1), date(self.year, 12, 31)
