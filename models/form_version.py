"""A dated version of a form (Anhang 2 report, Anhang 3 self-declaration) (R18)."""
from datetime import date

from peewee import SQL, Check, DateField, TextField

from .base import BaseModel

FORM_TYPES = {"report": "Reportingformular (Anhang 2)", "self_declaration": "Selbstdeklaration (Anhang 3)"}


class FormVersion(BaseModel):
    form_type = TextField(constraints=[Check("form_type IN ('report','self_declaration')")])
    name = TextField()
    valid_from = DateField()
    valid_to = DateField(null=True)
    reference = TextField(default="")

    class Meta:
        constraints = [SQL("CHECK (valid_to IS NULL OR valid_to >= valid_from)")]
        indexes = ((("form_type", "valid_from"), True),)

    def __str__(self):
        return self.name

    @classmethod
    def valid_on(cls, form_type: str, day: date):
        """The version of a form type valid on a day, or None (R18)."""
        return (
            cls.select()
            .where(
                (cls.form_type == form_type)
                & (cls.valid_from <= day)
                & (cls.valid_to.is_null() | (cls.valid_to >= day))
            )
            .order_by(cls.valid_from.desc())
            .first()
        )
