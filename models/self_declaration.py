"""Yearly self-declaration (Anhang 3); "Selbstdeklaration Y" is due 31.01.Y (R3, R21)."""
import json

from peewee import Check, ForeignKeyField, IntegerField, TextField

from .form_version import FormVersion
from .municipality import Municipality
from .submittable import Submittable


class SelfDeclaration(Submittable):
    municipality = ForeignKeyField(Municipality, backref="self_declarations", on_delete="RESTRICT")
    year = IntegerField(constraints=[Check("year BETWEEN 2017 AND 2100")])
    form_version = ForeignKeyField(FormVersion, backref="self_declarations", on_delete="RESTRICT")
    answers_json = TextField(default="{}")

    class Meta:
        indexes = ((("municipality", "year"), True),)

    def __str__(self):
        return f"Selbstdeklaration {self.year} – {self.municipality}"

    @property
    def answers(self) -> dict:
        return json.loads(self.answers_json or "{}")

    @answers.setter
    def answers(self, data: dict) -> None:
        self.answers_json = json.dumps(data, sort_keys=True, ensure_ascii=False)
