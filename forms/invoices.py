"""Forms of the invoice register (issue 16): filter (GET), mark paid, cancel, send; each write with CSRF."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from services.invoices import FILTER_STATES, REASON_MAX

CONFIRM = "Bitte bestätigen."


class InvoiceFilterForm(FlaskForm):
    """The register's filter in the query string; nothing is written, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()], choices=[
        SelectChoice("", "alle"), *(SelectChoice(value, label) for value, label in FILTER_STATES.items())])
    gemeinde = IntegerField("Gemeinde (BFS-Nr)", validators=[Optional(), NumberRange(1, 9999, "BFS-Nr 1–9999.")])
    jahr = IntegerField("Jahr", validators=[Optional(), NumberRange(2017, 2100, "Jahr 2017–2100.")])
    stichtag = DateField("Stichtag", validators=[Optional()])


class PayForm(FlaskForm):
    paid_on = DateField("Zahlungseingang am", validators=[DataRequired("Bitte das Zahlungsdatum angeben.")])
    confirm = BooleanField("Ich bestätige den Zahlungseingang über den ganzen Betrag.",
                           validators=[DataRequired(CONFIRM)])


class CancelForm(FlaskForm):
    reason = TextAreaField("Grund der Stornierung", validators=[
        DataRequired("Bitte einen Grund für die Stornierung angeben."),
        Length(max=REASON_MAX, message=f"Höchstens {REASON_MAX} Zeichen.")])
    confirm = BooleanField("Ich bestätige die Stornierung; die Forderung wird nicht mehr eingefordert.",
                           validators=[DataRequired(CONFIRM)])


class SendForm(FlaskForm):
    """"Rechnung senden": a button that carries only the CSRF token."""
