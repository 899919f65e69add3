"""One secure base for every admin view: policy check, CSRF, transactional writes with audit."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import save_inline
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import ForeignKeyField, IntegrityError, TextField
from wtforms import SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice

from auth.policy import can
from auth.redirects import safe_next
from auth.session import REAUTH_MESSAGE, login_is_fresh
from core.numbers import DB_INT_MAX, parse_id, parse_int
from forms.fields import CHFField, TextRule
from models import MoneyField, db
from services.audit import Actor, record, snapshot
from services.errors import DomainError
from services.overview import admin_overview, overdue_reports
from services.tasks import next_tasks

INTEGRITY_MESSAGE = ("Speichern nicht möglich: der Datensatz verletzt eine Regel der Datenbank "
                     "(doppelter Schlüssel oder noch verwendet).")


def _deny():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


WRITE_VIEWS = {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}


def _overflows(value) -> bool:
    """A filter value (or comma-separated list) with a whole number beyond the database's integers."""
    for token in str(value).split(","):
        try:
            number = int(token)
        except ValueError:
            continue
        if parse_int(number, -DB_INT_MAX, DB_INT_MAX) is None:
            return True
    return False


class SecureIndexView(AdminIndexView):
    def is_accessible(self):
        return can(current_user, "admin.read")

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    @expose("/")
    def index(self):
        # the admin's start page (issue 18): its next tasks on top, then the figures
        today = date.today()
        overview = admin_overview(today)
        return self.render("admin/index.html", overview=overview, today=today,
                           tasks=next_tasks(current_user, today, overdue_reports(overview, today)))


class SecureModelView(ModelView):
    """Readers may list and view; only writers see and reach create, edit, delete (auditor: read-only)."""

    read_action, write_action = "admin.read", "admin.write"
    creatable = editable = deletable = True
    form_base_class = FlaskForm  # CSRFProtect checks the token (STACK_NOTES: not with SecureForm)
    can_export = False
    can_view_details = True
    page_size = 50
    can_set_page_size = True
    page_size_options = (50, 100, 200)
    column_display_pk = False
    action_disallowed_list = ["delete"]  # bulk delete bypasses the audit trail
    audit_related: tuple[str, ...] = ()  # backrefs of inline children to include in the audit
    sensitive_fields: tuple[str, ...] = ()  # changing these needs a fresh login (issue 7)
    form_select_choices: dict[str, list[tuple[str, str]]] = {}
    formula_prefix_allowed: tuple[str, ...] = ()  # text fields that may start with + (e.g. a phone number)

    picker_queries: dict = {}  # field name -> callable returning the query of allowed choices

    def _restrict_pickers(self, form):
        for name, query in self.picker_queries.items():
            if name in form:
                form[name].query = query()
        return form

    def create_form(self, obj=None):
        return self._restrict_pickers(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._restrict_pickers(super().edit_form(obj))

    def search_placeholder(self):
        labels = [str((self.column_labels or {}).get(c, c)) for c in (self.column_searchable_list or [])]
        return "Suchen: " + ", ".join(labels) if labels else "Suchen"

    def scaffold_form(self):
        """German labels from column_labels, one-line inputs and selects for coded values."""
        overrides = dict(self.form_overrides or {})
        args = {name: dict(spec) for name, spec in (self.form_args or {}).items()}
        for name, field in self.model._meta.fields.items():
            if name in self.form_select_choices:
                overrides[name] = SelectField
                args.setdefault(name, {})["choices"] = [
                    SelectChoice(value, label) for value, label in self.form_select_choices[name]]
            elif isinstance(field, MoneyField):
                overrides.setdefault(name, CHFField)
            elif isinstance(field, TextField):
                overrides.setdefault(name, StringField)  # a view sets TextAreaField where it wants one
                rule = TextRule(multiline=overrides[name] is TextAreaField,
                                 allow_formula_prefix=name in self.formula_prefix_allowed)
                spec = args.setdefault(name, {})
                spec["validators"] = [*spec.get("validators", []), rule]
            if name in (self.column_labels or {}):
                args.setdefault(name, {})["label"] = self.column_labels[name]
        self.form_overrides, self.form_args = overrides, args
        return super().scaffold_form()

    def is_accessible(self):
        return can(current_user, self.read_action)

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    def is_writer(self) -> bool:
        return can(current_user, self.write_action)

    @property
    def can_create(self):
        return self.creatable and self.is_writer()

    @property
    def can_edit(self):
        return self.editable and self.is_writer()

    @property
    def can_delete(self):
        return self.deletable and self.is_writer()

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied is None and name in WRITE_VIEWS and not self.is_writer():
            abort(403)  # also for POSTs to endpoints whose buttons are hidden
        if denied is None and request.method == "GET" and "url" in request.args \
                and not safe_next(request.args["url"]):
            # Flask-Admin takes `http:evil.example` for a local return url (issue 20): drop it before
            # it becomes a redirect or a link on the page.
            args = request.args.to_dict(flat=False)
            args.pop("url")
            return redirect(url_for(request.endpoint, **args))
        return denied

    def check(self, model, before: dict | None, after: dict | None) -> None:
        """Domain rules on the written state, inside the transaction; raise DomainError to refuse."""

    @property
    def actor(self) -> Actor:
        return Actor.of(current_user)

    def audit_snapshot(self, model) -> dict:
        data = snapshot(model)
        for name in self.audit_related:
            data[name] = [snapshot(child) for child in getattr(model, name)]
        return data

    def _fail(self, exc, form=None) -> bool:
        if isinstance(exc, IntegrityError):
            flash(INTEGRITY_MESSAGE, "error")
        elif isinstance(exc, DomainError):
            placed = False
            for name, messages in exc.field_errors.items():
                if form is not None and name in form:  # next to the field (create/edit re-render this form)
                    form[name].errors = [*form[name].errors, *messages]
                    placed = True
            flash(("Bitte die markierten Felder korrigieren: " if placed else "") + exc.message, "error")
        elif isinstance(exc, (ValidationError, ValueError)):
            flash(str(exc), "error")
        else:
            raise exc
        return False

    def create_model(self, form):
        try:
            with db.atomic():
                model = self.model()
                form.populate_obj(model)
                self._on_model_change(form, model, True)
                self._require_fresh_login({}, snapshot(model))
                model.save(force_insert=True)
                save_inline(form, model)
                self.check(model, None, None)
                record(self.actor, "create", model, after=self.audit_snapshot(model))
        except Exception as exc:  # noqa: BLE001 - _fail re-raises what it does not know
            return self._fail(exc, form)
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        try:
            with db.atomic():
                before = self.audit_snapshot(model)
                form.populate_obj(model)
                self._on_model_change(form, model, False)
                self._require_fresh_login(before, snapshot(model))
                model.save()
                save_inline(form, model)
                after = self.audit_snapshot(model)
                self.check(model, before, after)
                record(self.actor, "update", model, before=before, after=after)
        except Exception as exc:  # noqa: BLE001
            return self._fail(exc, form)
        self.after_model_change(form, model, False)
        return True

    def _require_fresh_login(self, before: dict, after: dict) -> None:
        changed = [name for name in self.sensitive_fields if before.get(name) != after.get(name)]
        if changed and not login_is_fresh():
            raise DomainError(REAUTH_MESSAGE, {name: ["Erneute Anmeldung nötig."] for name in changed})

    def delete_model(self, model):
        try:
            with db.atomic():
                before = self.audit_snapshot(model)
                self.on_model_delete(model)
                model.delete_instance()  # never recursive: dependent history must block the delete
                record(self.actor, "delete", model, before=before)
        except Exception as exc:  # noqa: BLE001
            return self._fail(exc)
        self.after_model_delete(model)
        return True

    def get_one(self, id):
        # `?id=` with 20 digits overflowed SQLite's integers into a 500 (issue 20): not a record.
        return super().get_one(parse_id(id)) if parse_id(id) is not None else None

    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        if filters is None:
            return None
        # Flask-Admin's integer filters accept any int(); past 64 bits SQLite overflows into a 500 (issue 20).
        return [flt for flt in filters if not _overflows(flt[2])]

    def _get_list_extra_args(self):
        view_args = super()._get_list_extra_args()
        page_size = parse_int(view_args.page_size, 0, 1000)
        return view_args.clone(page=parse_int(view_args.page, 0, 10**6) or 0, filters=view_args.filters,
                               page_size=page_size if page_size is not None else 0)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        if sort_column is not None and sort_column not in dict(self._sortable_columns or {}):
            sort_column = None  # STACK_NOTES: an unsortable ?sort= must not give a 500
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if execute:
            rows = list(rows)
            self._prefetch(rows)
        return count, rows

    def _prefetch(self, rows) -> None:
        """One query per shown foreign key instead of one per row (issue 8: list pages cost constant queries)."""
        for name in self.column_list or ():
            field = self.model._meta.fields.get(name) if isinstance(name, str) else None
            if not isinstance(field, ForeignKeyField):
                continue
            ids = {row.__data__.get(name) for row in rows} - {None}
            if not ids:
                continue
            related = {obj.id: obj for obj in field.rel_model.select().where(field.rel_model.id.in_(list(ids)))}
            for row in rows:
                if row.__data__.get(name) in related:
                    row.__rel__[name] = related[row.__data__[name]]


class ReadOnlyModelView(SecureModelView):
    creatable = editable = deletable = False
