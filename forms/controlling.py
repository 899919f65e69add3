"""The tariff simulator's form (issue 17): GET, nothing is written, so no CSRF token."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from models import TARIFF_KINDS
from services.simulation import BASES, RATE_MAX, YEAR_MAX, YEAR_MIN

from .fields import CHFField

YEAR_MESSAGE = f"Bitte ein Jahr zwischen {YEAR_MIN} und {YEAR_MAX} angeben."


class SimulationForm(FlaskForm):
    class Meta:
        csrf = False

    jahr = IntegerField("Zieljahr", validators=[InputRequired("Bitte das Zieljahr angeben."),
                                                 NumberRange(YEAR_MIN, YEAR_MAX, YEAR_MESSAGE)])
    basis = SelectField("Mengenbasis", choices=[SelectChoice(value, label) for value, label in BASES.items()],
                        default="last_two")
    basisjahr = IntegerField("Jahr der Mengenbasis", validators=[Optional(), NumberRange(YEAR_MIN, YEAR_MAX,
                                                                                         YEAR_MESSAGE)],
                             description="Nur bei «ein gewähltes Jahr»: beide Halbjahre dieses Jahres.")

    def validate_basisjahr(self, field):
        if self.basis.data == "year" and field.data is None:
            raise ValueError("Bitte das Jahr der Mengenbasis angeben.")


RATE_VALIDATORS = [InputRequired("Bitte einen Ansatz in CHF angeben."),
                   NumberRange(0, RATE_MAX, "Bitte einen Ansatz zwischen CHF 0 und CHF 10’000 angeben.")]
for _kind, _label in TARIFF_KINDS.items():  # one CHF field per tariff kind, named like the kind
    setattr(SimulationForm, _kind, CHFField(f"{_label} (CHF)", validators=RATE_VALIDATORS))


def rate_fields(form: SimulationForm) -> list:
    return [form[kind] for kind in TARIFF_KINDS]
