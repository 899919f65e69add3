"""Upload form of the admin import (issue 3)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from services.imports import KINDS

KIND_LABELS = {
    "municipalities": "Gemeinden", "population": "Ausländerbestände", "officers": "Integrationsbeauftragte",
    "contracts": "Zusammenarbeitsverträge", "reports": "Reportings (historisch)",
    "self-declarations": "Selbstdeklarationen (historisch)", "correspondents": "Korrespondenzpersonen",
}


class ImportForm(FlaskForm):
    kind = SelectField("Art der Daten", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS])
    file = FileField("Datei (CSV in UTF-8 mit Komma oder Semikolon, oder XLSX)", validators=[
        FileRequired("Bitte eine Datei wählen."),
        FileAllowed(["csv", "xlsx"], "Nur CSV- oder XLSX-Dateien."),
    ])
