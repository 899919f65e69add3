"""Declarative admin views; the rules themselves live in services.masterdata and services.validation."""

from flask import g, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import HiddenField, TextAreaField, ValidationError
from wtforms.validators import Optional

from auth import second_factor
from auth.policy import can
from core.formatting import chf, date_ch
from core.numbers import parse_int
from models import (
    FIELD_TYPES,
    FORM_TYPES,
    PAYEES,
    ROLES,
    TARIFF_KINDS,
    ContractMember,
    FormField,
    Municipality,
    User,
)
from services import masterdata
from services.errors import DomainError
from services.validation import bfs_problem, normalise_iban

from .base import SecureModelView
from .filters import ActiveInYearFilter, ContractFilter


def date_columns(*names):
    return {name: (lambda v, c, m, n: date_ch(getattr(m, n))) for name in names}


def money_columns(*names):
    return {name: (lambda v, c, m, n: chf(getattr(m, n))) for name in names}


def coded_column(name, labels):
    return {name: (lambda v, c, m, n: labels.get(getattr(m, n), getattr(m, n)))}


def _bfs_validator(form, field):
    if problem := bfs_problem(field.data):
        raise ValidationError(problem)


def _iban_validator(form, field):
    try:
        field.data = normalise_iban(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


VALIDITY_LABELS = {"valid_from": "Gültig ab", "valid_to": "Gültig bis"}
# "Municipality"/"bfs_nr"/"district" name the filters on the joined municipality ("Gemeinde / BFS-Nr").
MUNICIPALITY_LABEL = {"municipality": "Gemeinde", "Municipality": "Gemeinde", "bfs_nr": "BFS-Nr",
                      "district": "Bezirk"}


def _inline(model, columns, labels, **extra):
    """Inline child rows; peewee 4's AutoField escapes Flask-Admin's pk converter, so the id is hidden."""
    return (model, {
        "form_columns": ["id", *columns],
        "form_overrides": {"id": HiddenField, **extra.pop("form_overrides", {})},
        "form_args": {"id": {"validators": [Optional()]},
                      **{name: {"label": label} for name, label in labels.items()}},
        **extra,
    })


class MunicipalityAdmin(SecureModelView):
    column_list = ["bfs_nr", "name", "district", "valid_from", "valid_to", "successor",
                   "organisation_settled_on"]
    column_labels = {
        "bfs_nr": "BFS-Nr", "name": "Gemeinde", "district": "Bezirk", **VALIDITY_LABELS,
        "successor": "Nachfolgegemeinde", "organisation_settled_on": "Organisation geregelt am",
        "creditor_number": "Kreditor-Nr", "iban": "IBAN", "finance_email": "E-Mail Finanzverwaltung",
        "street": "Strasse Gemeindeverwaltung (Rechnungsadresse)", "postcode": "PLZ",
    }
    column_default_sort = "bfs_nr"
    column_searchable_list = ["name", "district"]
    column_filters = ["district", ActiveInYearFilter(Municipality), ContractFilter(Municipality.id),
                      "valid_to"]
    column_formatters = {**date_columns("valid_from", "valid_to", "organisation_settled_on"),
                         "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
                             url_for("portal.municipality", municipality_id=m.id), m.name)}
    form_columns = ["bfs_nr", "name", "district", "valid_from", "valid_to", "successor",
                    "organisation_settled_on", "creditor_number", "iban", "finance_email", "street", "postcode"]
    form_args = {"bfs_nr": {"validators": [_bfs_validator]},
                 "iban": {"validators": [Optional(), _iban_validator]}}
    sensitive_fields = ("iban", "creditor_number")  # where money goes (issue 13)

    def search_placeholder(self):
        return "Suchen: BFS-Nr, Gemeinde, Bezirk"

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        g.bfs_search = parse_int(search, 1, 9999) if search else None
        if g.bfs_search is not None:
            search = None  # a number is a BFS number (integer columns cannot be searched with LIKE)
        return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)

    def _get_filter_groups(self):
        self._refresh_filters_cache()  # the contract filter's options come from the database
        return super()._get_filter_groups()

    def get_query(self):
        query = super().get_query()
        if g.get("bfs_search") is not None:
            query = query.where(Municipality.bfs_nr == g.bfs_search)
        return query

    def check(self, model, before, after):
        masterdata.check_municipality(model)


def _second_factor(view, context, model, name):
    """Status of the user's second factor; the admin's reset button (POST with CSRF, fresh login, audited)."""
    if model.totp_enabled_at:
        status = Markup("eingerichtet seit {}").format(date_ch(model.totp_enabled_at))
    else:
        status = Markup("nicht eingerichtet") + (Markup(" (bei der nächsten Anmeldung verlangt)")
                                                 if second_factor.required(model) else Markup(""))
    if not (model.totp_secret and can(current_user, "user.reset_second_factor")):
        return status
    return status + Markup(
        ' <form method="post" action="{}" class="d-inline"><input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-danger">Zurücksetzen</button></form>').format(
        url_for("auth.reset_second_factor", user_id=model.id), generate_csrf())


class UserAdmin(SecureModelView):
    column_list = ["email", "name", "role", "active", "totp_enabled_at", "created_at"]
    column_labels = {"email": "E-Mail", "name": "Name", "role": "Rolle", "active": "Aktiv",
                     "created_at": "Erstellt", "assignments": "Zuordnungen als IB",
                     "totp_enabled_at": "Zweiter Faktor"}
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "active"]
    column_formatters = {**coded_column("role", ROLES), "created_at": lambda v, c, m, n: date_ch(m.created_at),
                         "totp_enabled_at": _second_factor}
    form_columns = ["email", "name", "role", "active"]
    form_select_choices = {"role": list(ROLES.items())}
    column_details_exclude_list = ["password_hash", "session_version", "totp_secret", "totp_last_step",
                                   "recovery_codes_json"]
    sensitive_fields = ("role", "active")
    deletable = False  # users are deactivated, never deleted (audit references them)

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip().lower()
        if is_created:
            return
        stored = User.get_by_id(model.id)
        if (stored.role, stored.active) == (model.role, model.active):
            return
        if model.id == current_user.id:
            raise DomainError("Sie können Ihre eigene Rolle nicht ändern und sich nicht selbst deaktivieren.",
                              {"role": ["Nicht für das eigene Konto."]})
        model.session_version += 1  # a role or status change ends the user's running sessions


class OfficerAssignmentAdmin(SecureModelView):
    column_list = ["user", "municipality", "valid_from", "valid_to"]
    column_labels = {"user": "Integrationsbeauftragte/r", **MUNICIPALITY_LABEL, **VALIDITY_LABELS}
    column_formatters = date_columns("valid_from", "valid_to")
    form_columns = ["user", "municipality", "valid_from", "valid_to"]
    picker_queries = {"user": lambda: User.select().where(User.role == "officer").order_by(User.email)}

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [ActiveInYearFilter(model), Municipality.bfs_nr]
        super().__init__(model, *args, **kwargs)

    def check(self, model, before, after):
        masterdata.check_officer_assignment(model)


class CorrespondentAdmin(SecureModelView):
    """§4.5.1: dated contact persons; a successor gets a new row, the history stays (no delete)."""

    column_list = ["municipality", "name", "function", "email", "phone", "valid_from", "valid_to"]
    column_labels = {**MUNICIPALITY_LABEL, "name": "Name", "function": "Funktion", "email": "E-Mail",
                     "phone": "Telefon", **VALIDITY_LABELS}
    column_searchable_list = ["name", "email"]
    column_formatters = date_columns("valid_from", "valid_to")
    form_columns = ["municipality", "name", "function", "email", "phone", "valid_from", "valid_to"]
    deletable = False  # the history stays: a contact is ended with «Gültig bis», never deleted
    formula_prefix_allowed = ("phone",)  # +41 …: the phone rule allows digits and separators only

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [ActiveInYearFilter(model), Municipality.bfs_nr]
        super().__init__(model, *args, **kwargs)

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip()
        model.phone = (model.phone or "").strip()
        model.function = model.function or ""

    def check(self, model, before, after):
        masterdata.check_correspondent(model)


class ContractAdmin(SecureModelView):
    column_list = ["reference", "lead", "payee", "valid_from", "valid_to"]
    column_labels = {"reference": "Referenz", "lead": "Leitgemeinde", "payee": "Zahlungsempfänger",
                     **VALIDITY_LABELS, "members": "Mitglieder"}
    column_searchable_list = ["reference"]
    column_formatters = {**date_columns("valid_from", "valid_to"), **coded_column("payee", PAYEES)}
    form_columns = ["reference", "lead", "payee", "valid_from", "valid_to"]
    form_select_choices = {"payee": list(PAYEES.items())}
    audit_related = ("members",)

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [ActiveInYearFilter(model)]
        self.inline_models = [_inline(ContractMember, ["municipality", "valid_from", "valid_to"],
                                      {**MUNICIPALITY_LABEL, **VALIDITY_LABELS})]
        super().__init__(model, *args, **kwargs)

    def check(self, model, before, after):
        masterdata.check_contract(model)


class TariffAdmin(SecureModelView):
    column_list = ["kind", "amount", "valid_from", "valid_to", "reference"]
    column_labels = {"kind": "Tarif", "amount": "Betrag (CHF)", **VALIDITY_LABELS,
                     "reference": "Rechtsgrundlage"}
    column_formatters = {**date_columns("valid_from", "valid_to"), **coded_column("kind", TARIFF_KINDS),
                         **money_columns("amount")}
    column_default_sort = "valid_from"
    column_filters = ["kind"]
    form_columns = ["kind", "amount", "valid_from", "valid_to", "reference"]
    form_select_choices = {"kind": list(TARIFF_KINDS.items())}
    sensitive_fields = ("kind", "amount", "valid_from", "valid_to")
    deletable = False  # R7: a tariff is ended, never deleted; runs keep their own copy of the rate

    def check(self, model, before, after):
        masterdata.check_tariff(model)


class ForeignPopulationAdmin(SecureModelView):
    column_list = ["municipality", "reference_date", "count", "source"]
    column_labels = {**MUNICIPALITY_LABEL, "reference_date": "Stichtag", "count": "Ausländerbestand",
                     "source": "Quelle"}
    column_formatters = date_columns("reference_date")
    column_filters = ["reference_date", Municipality.bfs_nr, Municipality.district]
    form_columns = ["municipality", "reference_date", "count", "source"]

    def check(self, model, before, after):
        masterdata.check_population(model)


class FormVersionAdmin(SecureModelView):
    column_list = ["form_type", "name", "valid_from", "valid_to", "reference"]
    column_labels = {"form_type": "Formular", "name": "Bezeichnung", **VALIDITY_LABELS,
                     "reference": "Grundlage", "fields": "Felder"}
    column_formatters = {**date_columns("valid_from", "valid_to"), **coded_column("form_type", FORM_TYPES)}
    column_filters = ["form_type"]
    form_columns = ["form_type", "name", "valid_from", "valid_to", "reference"]
    form_select_choices = {"form_type": list(FORM_TYPES.items())}
    audit_related = ("fields",)
    deletable = False  # superseded by a new version, never deleted (R18)

    def __init__(self, model, *args, **kwargs):
        self.inline_models = [_inline(
            FormField,
            ["position", "key", "label", "help", "field_type", "required", "min_value", "max_value", "choices"],
            {"position": "Position", "key": "Schlüssel", "label": "Beschriftung", "help": "Hilfetext",
             "field_type": "Feldtyp", "required": "Pflichtfeld", "min_value": "Minimum",
             "max_value": "Maximum", "choices": "Auswahl (eine Zeile pro Option: Wert|Beschriftung)"},
            form_overrides={"choices": TextAreaField},
        )]
        super().__init__(model, *args, **kwargs)

    def check(self, model, before, after):
        for field in FormField.select().where(FormField.form_version == model.id):
            if field.field_type not in FIELD_TYPES:
                raise DomainError(f"Feld {field.key}: unbekannter Feldtyp «{field.field_type}» "
                                  f"(erlaubt: {', '.join(FIELD_TYPES)}).")
        masterdata.check_form_version(model, before, after)
