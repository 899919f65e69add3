"""Forms of the random samples (R24): draw, judge, decide a proposal, upload evidence.

Fields are read as text and checked by the services, so every refusal (seed not a number, p outside
1–100, n larger than the population) comes back as one German message next to its field.
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from models import OUTCOMES, SAMPLE_METHODS

ALL_DISTRICTS = SelectChoice("", "alle Bezirke")


class DrawForm(FlaskForm):
    year = StringField("Jahr", description="Akzeptierte Reportings beider Halbjahre dieses Jahres.")
    method = RadioField("Umfang als", choices=[SelectChoice(k, v) for k, v in SAMPLE_METHODS.items()],
                        default="count", validate_choice=False)
    value = StringField("Anzahl bzw. Prozent", description="Anzahl Reportings (n) oder Prozent (1–100, aufgerundet).")
    stratified = BooleanField("Nach Bezirk schichten (proportional)")
    district = SelectField("Nur Bezirk", choices=[ALL_DISTRICTS], validate_choice=False)
    seed = StringField("Startwert (Seed)", description="Ganze Zahl ≥ 0; leer: wird zufällig gezogen und "
                                                       "gespeichert. Gleicher Seed und gleiche Grundgesamtheit "
                                                       "ergeben dieselbe Stichprobe.")


class JudgeForm(FlaskForm):
    outcome = RadioField("Ergebnis", choices=[SelectChoice(k, v) for k, v in OUTCOMES.items()], validate_choice=False)
    amount = StringField("Betrag der Beanstandung (CHF)",
                         description="Optional; ein Betrag schlägt der Koordinationsstelle eine Rückforderung vor.")
    text = TextAreaField("Begründung", validators=[Length(max=5000, message="Höchstens 5000 Zeichen.")])


class ProposalForm(FlaskForm):
    decision = RadioField("Entscheid", choices=[SelectChoice("accept", "Rückforderung erfassen"),
                                                SelectChoice("dismiss", "verwerfen")],
                          validate_choice=False)
    reason = TextAreaField("Begründung (beim Verwerfen Pflicht)",
                           validators=[Length(max=5000, message="Höchstens 5000 Zeichen.")])


class EvidenceForm(FlaskForm):
    file = FileField("Beleg (PDF, JPEG oder PNG)")


class ActionForm(FlaskForm):
    """A button; carries only the CSRF token."""
