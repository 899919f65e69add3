"""Flask-WTF forms generated at run time from a FormVersion's fields (R18); input names are the keys."""
import re

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.widgets import NumberInput

from core.text import label_text, without_rule_ids
from models import FormField, FormVersion

from .fields import TextRule

TEXT_MAX, TEXTAREA_MAX = 500, 5000
YES_NO = [SelectChoice("yes", "Ja"), SelectChoice("no", "Nein")]
_DIGITS = re.compile(r"-?[0-9]{1,9}")  # ASCII only: int() would accept full-width digits and "--5" fails late


class CountField(Field):
    """A whole number ≥ its minimum; German messages for fractions, text and out-of-range values (R20)."""

    widget = NumberInput(step="1")

    def __init__(self, label=None, validators=None, minimum=0, maximum=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.raw = None

    def _value(self):
        if self.raw is not None:
            return self.raw
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not self.raw:
            return
        if not _DIGITS.fullmatch(self.raw):
            raise ValueError("Bitte eine ganze Zahl ohne Kommastellen eingeben.")
        self.data = int(self.raw)

    def post_validate(self, form, validation_stopped):
        if self.data is None or self.errors:
            return
        if self.minimum is not None and self.data < self.minimum:
            self.errors.append(f"Die Zahl darf nicht kleiner als {self.minimum} sein.")
        elif self.maximum is not None and self.data > self.maximum:
            self.errors.append(f"Die Zahl darf nicht grösser als {self.maximum:,} sein.".replace(",", "’"))


class YesNoField(RadioField):
    """Ja/Nein stored as a boolean."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=YES_NO, **kwargs)

    def process_data(self, value):
        super().process_data({True: "yes", False: "no"}.get(value, value))

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            self.data = None
            return
        super().pre_validate(form)

    @property
    def value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.data)


class Filled(InputRequired):
    """InputRequired that counts blanks as empty: the values are stripped before saving, so " " would
    pass the check and then be stored as a missing answer (found by the fuzz test)."""

    def __call__(self, form, field):
        if field.raw_data and str(field.raw_data[0]).strip():
            return
        field.errors[:] = []
        raise StopValidation(self.message)


def _required(field: FormField):
    return [Filled(f"Bitte «{label_text(field.label)}» ausfüllen.")] if field.required else [Optional()]


def _field_for(spec: FormField):
    # issue 18: people read no rule ids; a help that is only a clause says it is the legal basis
    description = without_rule_ids(spec.help)
    if description.startswith("Kreisschreiben"):
        description = "Rechtsgrundlage: " + description
    common = {"label": label_text(spec.label), "description": description}
    if spec.field_type == "integer":
        # a count is never negative (R20), also when the admin left the field's minimum empty (issue 20)
        minimum = spec.min_value if spec.min_value is not None else 0
        return CountField(validators=_required(spec), minimum=minimum, maximum=spec.max_value,
                          render_kw={"min": minimum, "max": spec.max_value}, **common)
    if spec.field_type == "text":
        return StringField(validators=[*_required(spec), Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen."),
                                       TextRule()], **common)
    if spec.field_type == "textarea":
        return TextAreaField(validators=[*_required(spec),
                                         Length(max=TEXTAREA_MAX, message=f"Höchstens {TEXTAREA_MAX} Zeichen."),
                                         TextRule(multiline=True)], **common)
    if spec.field_type == "yes_no":
        return YesNoField(validators=_required(spec), **common)
    if spec.field_type == "choice":
        return RadioField(choices=[SelectChoice(v, label) for v, label in spec.choice_pairs()],
                          validators=_required(spec), **common)
    raise ValueError(f"unknown field type {spec.field_type}")


class DocumentForm(FlaskForm):
    """Base of every generated form; `lock` is the document version the user saw (stale posts fail)."""

    lock = HiddenField()
    field_keys: list[str] = []

    def values(self) -> dict:
        data = {}
        for key in self.field_keys:
            field = self[key]
            value = field.value if isinstance(field, YesNoField) else field.data
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                data[key] = value
        return data

    def add_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            self[key].errors = [*self[key].errors, message]


def form_class(version: FormVersion) -> type[DocumentForm]:
    """A form class for one version; its fields in their configured order."""
    specs = list(FormField.select().where(FormField.form_version == version.id).order_by(FormField.position))
    attributes = {spec.key: _field_for(spec) for spec in specs}
    attributes["field_keys"] = [spec.key for spec in specs]
    return type(f"Form_{version.id}", (DocumentForm,), attributes)
