"""Declarative admin views for master data; rules come from services.validation."""
from wtforms import HiddenField, ValidationError
from wtforms.validators import Optional

from models import PAYEES, ROLES, TARIFF_KINDS
from services.formatting import chf, date_ch
from services.validation import bfs_problem, normalise_iban, validity_problem

from .base import ReadOnlyModelView, SecureModelView



def _dates(*names):
    return {name: (lambda v, c, m, n: date_ch(getattr(m, n))) for name in names}


def _bfs_validator(form, field):
    if problem := bfs_problem(field.data):
        raise ValidationError(problem)


def _iban_validator(form, field):
    try:
        field.data = normalise_iban(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class MunicipalityAdmin(SecureModelView):
    column_list = ["bfs_nr", "name", "district", "valid_from", "valid_to", "successor",
                   "organisation_settled_on"]
    column_labels = {
        "bfs_nr": "BFS-Nr", "name": "Gemeinde", "district": "Bezirk", "valid_from": "Gültig ab",
        "valid_to": "Gültig bis", "successor": "Nachfolgegemeinde",
        "organisation_settled_on": "Organisation geregelt am", "creditor_number": "Kreditor-Nr",
        "iban": "IBAN", "finance_email": "E-Mail Finanzverwaltung",
        "correspondent_email": "E-Mail Korrespondenzperson",
    }
    column_default_sort = "bfs_nr"
    column_searchable_list = ["name", "district"]
    column_filters = ["bfs_nr", "district", "valid_to"]
    column_formatters = _dates("valid_from", "valid_to", "organisation_settled_on")
    form_columns = ["bfs_nr", "name", "district", "valid_from", "valid_to", "successor",
                    "organisation_settled_on", "creditor_number", "iban", "finance_email",
                    "correspondent_email"]
    form_args = {"bfs_nr": {"validators": [_bfs_validator]},
                 "iban": {"validators": [Optional(), _iban_validator]}}

    def on_model_change(self, form, model, is_created):
        if problem := validity_problem(model.valid_from, model.valid_to):
            raise ValidationError(problem)


class UserAdmin(SecureModelView):
    column_list = ["email", "name", "role", "active", "created_at"]
    column_labels = {"email": "E-Mail", "name": "Name", "role": "Rolle", "active": "Aktiv",
                     "created_at": "Erstellt"}
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "active"]
    column_formatters = {"role": lambda v, c, m, n: ROLES.get(m.role, m.role),
                         "created_at": lambda v, c, m, n: date_ch(m.created_at)}
    form_columns = ["email", "name", "role", "active"]
    form_select_choices = {"role": list(ROLES.items())}
    can_delete = False  # users are deactivated, never deleted (audit references them)

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip().lower()
        if not is_created:
            model.session_version += 1  # role or status change ends running sessions


class ContractAdmin(SecureModelView):
    column_list = ["reference", "lead", "payee", "valid_from", "valid_to"]
    column_labels = {"reference": "Referenz", "lead": "Leitgemeinde", "payee": "Zahlungsempfänger",
                     "valid_from": "Gültig ab", "valid_to": "Gültig bis", "members": "Mitglieder"}
    column_searchable_list = ["reference"]
    column_formatters = {**_dates("valid_from", "valid_to"),
                         "payee": lambda v, c, m, n: PAYEES.get(m.payee, m.payee)}
    form_columns = ["reference", "lead", "payee", "valid_from", "valid_to"]
    form_select_choices = {"payee": list(PAYEES.items())}
    audit_related = ("members",)

    def __init__(self, model, *args, **kwargs):
        from models import ContractMember

        self.inline_models = [(ContractMember, {
            # peewee 4's AutoField escapes Flask-Admin's pk converter: keep the id hidden and optional
            "form_columns": ["id", "municipality", "valid_from", "valid_to"],
            "form_overrides": {"id": HiddenField},
            "form_args": {"id": {"validators": [Optional()]}, "municipality": {"label": "Gemeinde"},
                          "valid_from": {"label": "Gültig ab"}, "valid_to": {"label": "Gültig bis"}},
        })]
        super().__init__(model, *args, **kwargs)


class TariffAdmin(ReadOnlyModelView):
    column_list = ["kind", "amount", "valid_from", "valid_to", "reference"]
    column_labels = {"kind": "Tarif", "amount": "Betrag (CHF)", "valid_from": "Gültig ab",
                     "valid_to": "Gültig bis", "reference": "Rechtsgrundlage"}
    column_formatters = {**_dates("valid_from", "valid_to"),
                         "kind": lambda v, c, m, n: TARIFF_KINDS.get(m.kind, m.kind),
                         "amount": lambda v, c, m, n: chf(m.amount)}
    column_default_sort = "valid_from"


class ForeignPopulationAdmin(ReadOnlyModelView):
    column_list = ["municipality", "reference_date", "count", "source"]
    column_labels = {"municipality": "Gemeinde", "reference_date": "Stichtag",
                     "count": "Ausländerbestand", "source": "Quelle"}
    column_formatters = _dates("reference_date")
    column_filters = ["reference_date"]


class AuditEntryAdmin(ReadOnlyModelView):
    allowed_roles = ("admin", "auditor")
    column_list = ["at", "actor", "action", "model", "record_id", "reason"]
    column_details_list = ["at", "actor", "action", "model", "record_id", "before", "after", "reason"]
    column_labels = {"at": "Zeit (UTC)", "actor": "Wer", "action": "Aktion", "model": "Objekt",
                     "record_id": "Datensatz", "before": "Vorher", "after": "Nachher",
                     "reason": "Begründung"}
    column_default_sort = ("at", True)
    column_filters = ["model", "actor", "action", "at"]
    column_formatters = {"at": lambda v, c, m, n: date_ch(m.at)}
