"""One ordered field of a form version: key, German label, help, type, bounds (R18)."""
from peewee import BooleanField, Check, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .form_version import FormVersion

FIELD_TYPES = {
    "integer": "Ganzzahl",
    "text": "Text",
    "textarea": "Mehrzeiliger Text",
    "yes_no": "Ja/Nein",
    "choice": "Auswahl",
}


class FormField(BaseModel):
    form_version = ForeignKeyField(FormVersion, backref="fields", on_delete="CASCADE")
    position = IntegerField()
    key = TextField()
    label = TextField()
    help = TextField(default="")
    field_type = TextField(
        constraints=[Check("field_type IN ('integer','text','textarea','yes_no','choice')")]
    )
    required = BooleanField(default=False)
    min_value = IntegerField(null=True)
    max_value = IntegerField(null=True)
    choices = TextField(default="")  # one "value|Label" per line, for field_type choice

    class Meta:
        indexes = ((("form_version", "key"), True), (("form_version", "position"), True))

    def __str__(self):
        return f"{self.position}. {self.label}"

    def choice_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.choices.splitlines():
            if line.strip():
                value, _, label = line.partition("|")
                pairs.append((value.strip(), (label or value).strip()))
        return pairs
