"""Officer portal: half-yearly report and yearly self-declaration, review queue (issue 4; R1–R3, R12, R18–R22).

Every route fetches its object through one helper that authorises it; an officer asking for a
municipality they are not responsible for today gets 404 and learns nothing.
"""
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length

from auth.guards import permission_required
from auth.policy import can, on_behalf
from core.calendar import HalfYear
from core.numbers import parse_int
from forms.runtime import form_class
from models import Municipality, Report, SelfDeclaration, Status, Submittable
from services import blank_forms, letters, postausgang, submissions
from services.errors import DomainError
from services.portal import document_rows, municipality_overview, officer_overview, prefill
from services.tasks import next_tasks
from views.access import get_municipality_or_404

bp = Blueprint("portal", __name__)


class ReturnForm(FlaskForm):
    lock = HiddenField()
    reason = TextAreaField("Begründung der Rückweisung", validators=[
        InputRequired("Bitte angeben, was zu korrigieren ist."), Length(max=5000, message="Höchstens 5000 Zeichen.")])


class LockForm(FlaskForm):
    lock = HiddenField()


@dataclass
class Target:
    """What a document page is about: one municipality and one period or year."""

    municipality: Municipality
    document: Submittable
    endpoint_args: dict

    @property
    def exists(self) -> bool:
        return self.document.id is not None

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def deadline(self) -> date:
        return self.document.deadline

    @property
    def kind(self) -> str:
        return self.document.kind


def report_target(municipality_id: int, year: int, half: int) -> Target:
    municipality = get_municipality_or_404(municipality_id)
    if half not in (1, 2) or not 2017 <= year <= date.today().year:
        abort(404)
    period = HalfYear(year, half)
    report = Report.get_or_none((Report.municipality == municipality.id) & (Report.year == year)
                                & (Report.half == half))
    if report is None:
        version = submissions.report_version(period)
        if version is None:
            abort(404)
        report = Report(municipality=municipality, year=year, half=half, form_version=version)
    return Target(municipality, report, {"municipality_id": municipality.id, "year": year, "half": half})


def declaration_target(municipality_id: int, year: int) -> Target:
    municipality = get_municipality_or_404(municipality_id)
    if not 2018 <= year <= date.today().year + 1:
        abort(404)
    declaration = SelfDeclaration.get_or_none((SelfDeclaration.municipality == municipality.id)
                                              & (SelfDeclaration.year == year))
    if declaration is None:
        version = submissions.declaration_version(year)
        if version is None:
            abort(404)
        declaration = SelfDeclaration(municipality=municipality, year=year, form_version=version)
    return Target(municipality, declaration, {"municipality_id": municipality.id, "year": year})


def _endpoint(target: Target, name: str) -> str:
    return url_for(f".{target.kind}_{name}", **target.endpoint_args)


def _edit(target: Target):
    document = target.document
    if request.method == "POST" and not can(current_user, "document.edit"):
        abort(403)
    editable = can(current_user, "document.edit") and document.editable
    if not editable:
        if request.method == "POST":
            flash(submissions.STALE, "error")  # e.g. an old tab posting after submission: nothing is written
        return _show(target)
    form_type = form_class(document.form_version)
    if request.method == "POST":
        form = form_type()
    else:
        form = form_type(data={**prefill(document, current_user), **document.values},
                         lock=str(document.version) if target.exists else "")
    if request.method == "POST" and target.exists and parse_int(form.lock.data, 0) is None:
        # A post without the version it was read at would overwrite a newer value (issue 20): refused.
        flash(submissions.STALE, "error")
        return redirect(_endpoint(target, "edit"))
    if request.method == "POST" and form.validate_on_submit():
        values = form.values()
        submitting = request.form.get("action") == "submit"
        errors = submissions.rule_errors(document, values, set(form.field_keys)) if submitting else {}
        if errors:
            form.add_errors(errors)
        else:
            try:
                saved = submissions.save_draft(current_user, document, values,
                                               parse_int(form.lock.data, 0) if target.exists else None,
                                               on_behalf=on_behalf(current_user))
            except DomainError as exc:
                flash(exc.message, "error")
                return redirect(_endpoint(target, "edit"))
            if request.form.get("action") == "submit":
                return redirect(_endpoint(target, "confirm"))
            flash(f"Entwurf gespeichert ({saved.municipality.name}, {target.title}).", "success")
            return redirect(_endpoint(target, "edit"))
    elif request.method == "POST":
        flash("Bitte die markierten Felder korrigieren.", "error")
    return render_template("portal/form.html", target=target, form=form,
                           history=submissions.history(document))


def _confirm(target: Target):
    document = target.document
    if not can(current_user, "document.submit"):
        abort(403)
    if not target.exists:
        abort(404)
    if not document.editable:
        flash(submissions.STALE if request.method == "POST" else "Bereits eingereicht.", "info")
        return redirect(_endpoint(target, "edit"))
    form = LockForm(lock=str(document.version))
    values = document.values
    errors = submissions.rule_errors(document, values, {f.key for f in document.form_version.fields})
    if errors:
        flash("Vor dem Einreichen: " + " ".join(errors.values()), "error")
        return redirect(_endpoint(target, "edit"))
    if request.method == "POST":
        if not form.validate_on_submit() or parse_int(form.lock.data, 0) is None:
            abort(400)
        try:
            submissions.submit(current_user, document, parse_int(form.lock.data, 0), on_behalf=on_behalf(current_user))
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"{target.title} für {target.municipality.name} eingereicht.", "success")
        return redirect(_endpoint(target, "edit"))
    return render_template("portal/confirm.html", target=target, form=form, rows=document_rows(document, values),
                           preview=submissions.fee_preview(document, values))


def _show(target: Target, print_view: bool = False):
    document = target.document
    review = can(current_user, "document.review") and document.status == Status.SUBMITTED
    reopen = can(current_user, "document.review") and document.status == Status.ACCEPTED and not print_view
    return render_template("portal/document.html", target=target, document=document,
                           rows=document_rows(document, document.values) if target.exists else [],
                           history=submissions.history(document), print_view=print_view,
                           now=datetime.now(timezone.utc).replace(tzinfo=None), filed=document.status in Status.FILED,
                           sender=letters.sender() if print_view else None,
                           return_form=ReturnForm(lock=str(document.version)) if review or reopen else None,
                           accept_form=LockForm(lock=str(document.version)) if review else None, reopen=reopen)


def _review(target: Target, action: str):
    document = target.document
    if not target.exists:
        abort(404)
    form = ReturnForm() if action in ("return", "reopen") else LockForm()
    if not form.validate_on_submit():
        if action in ("return", "reopen"):
            flash("Bitte angeben, was zu korrigieren ist.", "error")
            return redirect(_endpoint(target, "edit"))
        abort(400)
    lock = parse_int(form.lock.data, 0)
    if lock is None:  # the version is what makes concurrent reviews safe: never skipped (issue 20)
        flash(submissions.STALE, "error")
        return redirect(_endpoint(target, "edit"))
    try:
        if action == "accept":
            submissions.accept(current_user, document, lock)
            flash(f"{target.title} von {target.municipality.name} angenommen.", "success")
        elif action == "reopen":
            submissions.reopen(current_user, document, form.reason.data, lock)
            flash(f"{target.title} von {target.municipality.name} zur Korrektur geöffnet; nach erneuter Annahme "
                  "zahlt der nächste Lauf die Differenz (R15).", "success")
            return redirect(_endpoint(target, "edit"))
        else:
            submissions.return_(current_user, document, form.reason.data, lock)
            flash(f"{target.title} von {target.municipality.name} zurückgewiesen.", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".queue"))


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>", methods=("GET", "POST"))
def report_edit(municipality_id, year, half):
    return _edit(report_target(municipality_id, year, half))


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/einreichen", methods=("GET", "POST"))
def report_confirm(municipality_id, year, half):
    return _confirm(report_target(municipality_id, year, half))


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/druck")
def report_print(municipality_id, year, half):
    target = report_target(municipality_id, year, half)
    return _show(target, print_view=True) if target.exists else abort(404)


def _confirmation_pdf(target: Target):
    """Issue 15: the confirmation of a submitted form as PDF (date, who, values); 404 before submission."""
    if not target.exists:
        abort(404)
    try:
        filename, data = letters.confirmation_pdf(current_user, target.document)
    except DomainError:
        abort(404)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/bestaetigung.pdf")
def report_confirmation_pdf(municipality_id, year, half):
    return _confirmation_pdf(report_target(municipality_id, year, half))


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/bestaetigung.pdf")
def self_declaration_confirmation_pdf(municipality_id, year):
    return _confirmation_pdf(declaration_target(municipality_id, year))


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/annehmen", methods=("POST",))
@permission_required("document.review")
def report_accept(municipality_id, year, half):
    return _review(report_target(municipality_id, year, half), "accept")


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/zurueckweisen", methods=("POST",))
@permission_required("document.review")
def report_return(municipality_id, year, half):
    return _review(report_target(municipality_id, year, half), "return")


@bp.route("/gemeinden/<int:municipality_id>/reporting/<int:year>/<int:half>/korrigieren", methods=("POST",))
@permission_required("document.review")
def report_reopen(municipality_id, year, half):
    """R15: an accepted report is opened for correction; the next run pays or reclaims the difference."""
    return _review(report_target(municipality_id, year, half), "reopen")


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>", methods=("GET", "POST"))
def self_declaration_edit(municipality_id, year):
    return _edit(declaration_target(municipality_id, year))


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/einreichen", methods=("GET", "POST"))
def self_declaration_confirm(municipality_id, year):
    return _confirm(declaration_target(municipality_id, year))


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/druck")
def self_declaration_print(municipality_id, year):
    target = declaration_target(municipality_id, year)
    return _show(target, print_view=True) if target.exists else abort(404)


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/annehmen", methods=("POST",))
@permission_required("document.review")
def self_declaration_accept(municipality_id, year):
    return _review(declaration_target(municipality_id, year), "accept")


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/zurueckweisen", methods=("POST",))
@permission_required("document.review")
def self_declaration_return(municipality_id, year):
    return _review(declaration_target(municipality_id, year), "return")


@bp.route("/gemeinden/<int:municipality_id>/selbstdeklaration/<int:year>/korrigieren", methods=("POST",))
@permission_required("document.review")
def self_declaration_reopen(municipality_id, year):
    return _review(declaration_target(municipality_id, year), "reopen")


@bp.route("/pruefung")
@permission_required("review.queue")
def queue():
    reports = list(Report.select(Report, Municipality).join(Municipality).where(Report.status == Status.SUBMITTED)
                   .order_by(Report.submitted_at))
    declarations = list(SelfDeclaration.select(SelfDeclaration, Municipality).join(Municipality)
                        .where(SelfDeclaration.status == Status.SUBMITTED).order_by(SelfDeclaration.submitted_at))
    return render_template("portal/queue.html", reports=reports, declarations=declarations)


@bp.route("/gemeinden/<int:municipality_id>")
@permission_required("municipality.overview")
def municipality(municipality_id):
    """One municipality's forms; the admin fills in from here on its behalf."""
    municipality = get_municipality_or_404(municipality_id)
    overview = municipality_overview(municipality, date.today())
    return render_template("portal/municipality.html", o=overview, today=date.today(),
                           correspondents=postausgang.correspondent_history(current_user, municipality),
                           dispatch=postausgang.dispatch_record(current_user, municipality))


@bp.route("/gemeinden/<int:municipality_id>/versand")
@permission_required("municipality.read")
def dispatch(municipality_id):
    """What was sent to whom and when for one municipality, and its correspondents (issue 15; R12)."""
    municipality = get_municipality_or_404(municipality_id)
    return render_template("portal/dispatch.html", municipality=municipality, today=date.today(),
                           correspondents=postausgang.correspondent_history(current_user, municipality),
                           dispatch=postausgang.dispatch_record(current_user, municipality))


@bp.route("/formulare/<form_type>/<int:year>.xlsx")
@permission_required("document.read")
def blank_form(form_type, year):
    """Issue 18: the blank Anhang 2 or 3 valid in `year`, to prepare offline."""
    if not 2017 <= year <= date.today().year + 1:
        abort(404)
    try:
        filename, data = blank_forms.blank_form(form_type, year)
    except DomainError:
        abort(404)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


HOME_FILTERS = {"offen": "offen oder zurückgewiesen", "ueberfaellig": "überfällig", "eingereicht": "eingereicht",
                "akzeptiert": "akzeptiert"}


def _shown(item, year: int | None, state: str | None) -> bool:
    if year is not None and item.year != year:
        return False
    return {None: True, "offen": item.needs_action, "ueberfaellig": item.needs_action and item.late,
            "eingereicht": item.state == Status.SUBMITTED, "akzeptiert": item.state == Status.ACCEPTED}[state]


def render_overview():
    """The officer's start page (served at /): open and overdue on top, per municipality by deadline (issue 18)."""
    today = date.today()
    overviews, next_action = officer_overview(current_user, today)
    everything = [i for o in overviews for i in o.reports + o.declarations]
    years = sorted({i.year for i in everything}, reverse=True)
    year = request.args.get("jahr", type=int)
    year = year if year in years else None
    state = request.args.get("status") if request.args.get("status") in HOME_FILTERS else None
    groups = [(o, sorted((i for i in o.reports + o.declarations if _shown(i, year, state)),
                         key=lambda i: (not i.needs_action, (1 if i.needs_action else -1) * i.deadline.toordinal(),
                                        i.label)))
              for o in overviews]
    summary = {"overdue": sum(1 for i in everything if i.needs_action and i.late),
               "open": sum(1 for i in everything if i.needs_action and not i.late)}
    return render_template("portal/home.html", overviews=overviews, groups=groups, next_action=next_action,
                           today=today, summary=summary, years=years, year=year, state=state, filters=HOME_FILTERS,
                           tasks=next_tasks(current_user, today))
