"""A dated version of a form (Anhang 2 report, Anhang 3 self-declaration) (R18)."""
from datetime import date

from peewee import Check, TextField

from .base import BaseModel
from .dated import Dated, validity_check, validity_fields

FORM_TYPES = {"report": "Reportingformular (Anhang 2)", "self_declaration": "Selbstdeklaration (Anhang 3)"}


class FormVersion(Dated, BaseModel):
    form_type = TextField(constraints=[Check("form_type IN ('report','self_declaration')")])
    name = TextField()
    valid_from, valid_to = validity_fields()
    reference = TextField(default="")

    class Meta:
        constraints = [validity_check()]
        indexes = ((("form_type", "valid_from"), True),)

    def __str__(self):
        return self.name

    @classmethod
    def valid_on(cls, form_type: str, day: date):
        """The version of a form type valid on a day, or None (R18)."""
        return (
            cls.select()
            .where((cls.form_type == form_type) & cls.covering(day))
            .order_by(cls.valid_from.desc())
            .first()
        )
