"""Admin views of money decisions and supervision: budgets, clawbacks, decisions, documents, the audit log."""
from datetime import date

from flask import g
from flask_admin.contrib.peewee import filters as peewee_filters
from flask_login import current_user
from wtforms import TextAreaField

from core.formatting import date_ch, swiss_time
from models import (
    DECISION_KINDS,
    STATUSES,
    Municipality,
    User,
)
from models.labels import AUDIT_ACTIONS, MODEL_NAMES, label
from services import masterdata
from services.audit_view import object_names
from services.errors import DomainError
from services.masterdata import CONTRIBUTION_PARTS
from views.people import person

from .base import ReadOnlyModelView, SecureModelView
from .views import MUNICIPALITY_LABEL, coded_column, date_columns, money_columns


class BudgetAdmin(SecureModelView):
    column_list = ["year", "credit"]
    column_labels = {"year": "Jahr", "credit": "Kredit (CHF)"}
    column_formatters = money_columns("credit")
    column_default_sort = ("year", True)
    form_columns = ["year", "credit"]

    def check(self, model, before, after):
        if before is not None and model.closed_at is not None:
            raise DomainError(f"Das Jahr {model.year} ist abgeschlossen; sein Kredit wird nicht mehr geändert (R17).",
                              {"credit": ["Jahr abgeschlossen."]})
        masterdata.check_budget(model.credit)

    def on_model_delete(self, model):
        if model.closed_at is not None:
            raise DomainError(f"Das Jahr {model.year} ist abgeschlossen; sein Budget wird nicht gelöscht (R17).")


class _Decided(SecureModelView):
    """Decisions and clawbacks record who decided; the form never asks for it."""

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.decided_by = current_user.id
        model.decided_on = model.decided_on or date.today()


class ClawbackAdmin(_Decided):
    column_list = ["municipality", "amount", "decided_on", "reason", "source_report"]
    column_labels = {**MUNICIPALITY_LABEL, "amount": "Betrag (CHF)", "decided_on": "Entschieden am",
                     "reason": "Begründung", "source_report": "Betroffenes Reporting",
                     "decided_by": "Entschieden von", "created_at": "Erfasst"}
    column_formatters = {**date_columns("decided_on"), **money_columns("amount")}
    column_filters = [Municipality.bfs_nr, "decided_on"]
    column_searchable_list = ["reason"]
    form_columns = ["municipality", "amount", "decided_on", "reason", "source_report"]
    form_overrides = {"reason": TextAreaField}

    def check(self, model, before, after):
        masterdata.check_clawback(model, existing=before is not None)


class DecisionAdmin(_Decided):
    column_list = ["kind", "municipality", "component", "period", "report", "decided_on", "reason"]
    column_labels = {"kind": "Entscheid", **MUNICIPALITY_LABEL, "report": "Reporting",
                     "self_declaration": "Selbstdeklaration", "decided_on": "Entschieden am",
                     "reason": "Begründung", "decided_by": "Entschieden von", "created_at": "Erfasst",
                     "component": "Komponente", "period": "Periode (Halbjahr wie 2026-H1 oder Jahr wie 2026)"}
    column_formatters = {**date_columns("decided_on"), **coded_column("kind", DECISION_KINDS),
                         **coded_column("component", CONTRIBUTION_PARTS)}
    column_filters = ["kind", Municipality.bfs_nr, "decided_on"]
    form_columns = ["kind", "municipality", "component", "period", "report", "self_declaration", "decided_on",
                    "reason"]
    form_select_choices = {"kind": list(DECISION_KINDS.items()),
                           "component": [("", "–"), *CONTRIBUTION_PARTS.items()]}
    form_overrides = {"reason": TextAreaField}

    def check(self, model, before, after):
        masterdata.check_decision(model)


class ReportAdmin(ReadOnlyModelView):
    """Read-only list for the cantonal team and financial control; review happens in the portal."""

    column_list = ["municipality", "year", "half", "status", "late", "submitted_at", "form_version"]
    column_labels = {**MUNICIPALITY_LABEL, "year": "Jahr", "half": "Halbjahr", "status": "Status",
                     "late": "Verspätet", "submitted_at": "Eingereicht", "form_version": "Formularversion",
                     "values_json": "Werte", "submitted_by": "Eingereicht von", "is_demo": "Demo",
                     "version": "Version"}
    column_formatters = {**coded_column("status", STATUSES), "submitted_at": lambda v, c, m, n: date_ch(m.submitted_at)}
    column_filters = ["year", "half", "status", "late", Municipality.bfs_nr]
    column_default_sort = ("year", True)


class SelfDeclarationAdmin(ReadOnlyModelView):
    column_list = ["municipality", "year", "status", "late", "submitted_at"]
    column_labels = {**MUNICIPALITY_LABEL, "year": "Jahr", "status": "Status", "late": "Verspätet",
                     "submitted_at": "Eingereicht", "values_json": "Antworten", "form_version": "Formularversion",
                     "submitted_by": "Eingereicht von", "is_demo": "Demo", "version": "Version"}
    column_formatters = {**coded_column("status", STATUSES), "submitted_at": lambda v, c, m, n: date_ch(m.submitted_at)}
    column_filters = ["year", "status", "late", Municipality.bfs_nr]
    column_default_sort = ("year", True)


def _by_label(labels: dict) -> list[tuple[str, str]]:
    return sorted(labels.items(), key=lambda option: option[1])


def _audit_when(view, context, model, name):
    return swiss_time(model.at).strftime("%d.%m.%Y %H:%M:%S")


def _audit_who(view, context, model, name):
    user = model.__rel__.get("user") if model.user_id else None
    return person(user) if user is not None else model.actor  # a CLI operator ("cli:…") has no user


def _audit_object(view, context, model, name):
    return g.get("audit_names", {}).get(model.id) or label("model", model.model)


class AuditEntryAdmin(ReadOnlyModelView):
    """Issue 18: times in Swiss time, people by name, German actions and objects, a search."""

    column_list = ["at", "actor", "action", "model", "reason"]
    column_details_list = ["at", "actor", "action", "model", "record_id", "before", "after", "reason"]
    column_labels = {"at": "Zeit", "actor": "Wer", "action": "Aktion", "model": "Objekt",
                     "record_id": "Datensatz-Nr.", "before": "Vorher", "after": "Nachher",
                     "reason": "Begründung"}
    column_default_sort = ("at", True)
    column_searchable_list = ["actor", "reason", "record_id"]
    column_formatters = {"at": _audit_when, "actor": _audit_who, "model": _audit_object,
                         "action": lambda v, c, m, n: label("audit_action", m.action)}
    column_formatters_detail = column_formatters

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [
            peewee_filters.FilterEqual(model.action, "Aktion", options=_by_label(AUDIT_ACTIONS)),
            peewee_filters.FilterEqual(model.model, "Objektart", options=_by_label(MODEL_NAMES)),
            peewee_filters.FilterEqual(model.record_id, "Datensatz-Nr."),
            peewee_filters.FilterLike(model.actor, "Wer (E-Mail)"),
            peewee_filters.FilterGreater(model.at, "Zeit nach"),
            peewee_filters.FilterSmaller(model.at, "Zeit vor"),
        ]
        super().__init__(model, *args, **kwargs)

    def search_placeholder(self):
        return "Suchen: Wer (E-Mail), Begründung, Datensatz-Nr."

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if execute:
            users = {u.id: u for u in User.select().where(User.id.in_([r.user_id for r in rows if r.user_id] or [0]))}
            for row in rows:
                if row.user_id in users:
                    row.__rel__["user"] = users[row.user_id]
            g.audit_names = object_names(rows)
        return count, rows

    def get_one(self, id):
        entry = super().get_one(id)
        if entry is not None:
            g.audit_names = object_names([entry])
            if entry.user_id:
                entry.__rel__["user"] = User.get_or_none(User.id == entry.user_id)
        return entry
