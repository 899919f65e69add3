"""Forms of the payout pages; buttons without fields still carry the CSRF token."""
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField
from wtforms.validators import DataRequired


class PrepareForm(FlaskForm):
    payout_date = DateField("Auszahlungstermin",
                            validators=[DataRequired("Bitte ein Datum wählen (31.03. oder 30.09.).")])


class RunActionForm(FlaskForm):
    """Approve or book; the version detects a run changed in another session."""

    version = HiddenField()
