"""Yearly self-declaration (Anhang 3); "Selbstdeklaration Y" is due 31.01.Y (R3, R21)."""
import json

from peewee import BooleanField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .form_version import FormVersion
from .municipality import Municipality
from .report import STATUS_CHECK
from .user import User


class SelfDeclaration(BaseModel):
    municipality = ForeignKeyField(Municipality, backref="self_declarations", on_delete="RESTRICT")
    year = IntegerField(constraints=[Check("year BETWEEN 2017 AND 2100")])
    form_version = ForeignKeyField(FormVersion, backref="self_declarations", on_delete="RESTRICT")
    status = TextField(default="draft", constraints=[Check(STATUS_CHECK)])
    answers_json = TextField(default="{}")
    submitted_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    submitted_at = DateTimeField(null=True)
    late = BooleanField(default=False)
    is_demo = BooleanField(default=False)
    version = IntegerField(default=1)

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
