"""Payout runs, line explanations, municipality histories and budgets (issue 5)."""
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from auth.guards import permission_required
from auth.policy import can, municipality_ids
from auth.session import REAUTH_MESSAGE, login_is_fresh
from core.calendar import next_payout_date
from core.formatting import chf
from forms.payouts import PrepareForm, RunActionForm
from models import (
    COMPONENTS,
    INVOICE_STATES,
    LINE_STATUSES,
    RUN_STATUSES,
    Invoice,
    Municipality,
    PayoutLine,
    PayoutRun,
    Report,
    RunPayee,
    RunStatus,
)
from services import exports, letters, paging, payment_files, payout_runs, run_views, settings
from services.errors import DomainError
from views.access import get_municipality_or_404

bp = Blueprint("payouts", __name__)
PAYEES_PER_PAGE = 100
# actions interrupted by the fresh-login prompt: the run page shows their button again with a note (issue 18)
RESUMABLE = {"freigeben": "die Freigabe", "zahlungsdatei": "die Zahlungsdatei"}


def get_run_or_404(run_id: int) -> PayoutRun:
    return PayoutRun.get_or_none(PayoutRun.id == run_id) or abort(404)


def get_line_for_user(run_id: int, line_id: int) -> PayoutLine:
    line = PayoutLine.get_or_none((PayoutLine.id == line_id) & (PayoutLine.run == run_id))
    if not can(current_user, "line.read"):
        abort(403)
    if line is None or not can(current_user, "line.read", line):  # officers: approved lines of their own
        abort(404)
    return line


@bp.route("/runs", methods=("GET", "POST"))
@permission_required("run.read", post="run.prepare")
def runs():
    form = PrepareForm()
    if form.validate_on_submit():
        try:
            run = payout_runs.prepare(current_user, form.payout_date.data, date.today())
        except DomainError as exc:
            form.payout_date.errors.append(exc.message)
        else:
            flash(f"Lauf per {run.payout_date:%d.%m.%Y} berechnet.", "success")
            return redirect(url_for(".run_detail", run_id=run.id))
    runs_ = list(PayoutRun.select().order_by(PayoutRun.payout_date.desc()))
    summaries = payout_runs.run_summaries(runs_)
    return render_template("payouts/runs.html", runs=runs_, summaries=summaries, form=form,
                           statuses=RUN_STATUSES, suggested=next_payout_date(date.today()))


@bp.route("/runs/<int:run_id>")
@permission_required("run.read")
def run_detail(run_id):
    run = get_run_or_404(run_id)
    municipalities = {m.id: m for m in Municipality.select(Municipality.id, Municipality.bfs_nr, Municipality.name)}
    groups, held = run_views.group_by_payee(run, municipalities)
    payees = paging.of_list(groups, request.args.get("seite", 1, type=int), PAYEES_PER_PAGE)
    kind = request.args.get("grund") or None
    text = request.args.get("gemeinde", "")[:100]
    withheld, withheld_kinds = run_views.withheld_page(run, municipalities, kind, text,
                                                       request.args.get("zb_seite", 1, type=int))
    return render_template("payouts/run.html", run=run, payees=payees, held=held, columns=run_views.COLUMNS,
                           withheld=withheld, withheld_kinds=withheld_kinds, kind=kind, text=text,
                           resume=request.args.get("fortsetzen") if request.args.get("fortsetzen") in RESUMABLE
                           else None, clauses=run_views.RULE_CLAUSES,
                           total=sum((group.total for group in groups), run_views.ZERO),  # the lines just read
                           issues=run.issues, municipalities=municipalities,
                           statuses=RUN_STATUSES, components=COMPONENTS, line_statuses=LINE_STATUSES,
                           action_form=RunActionForm(version=run.version), go_live=settings.go_live(),
                           bank={row.payee_id: row for row in run.payees}, today=date.today(),
                           invoices=list(run.invoices.order_by(Invoice.number)), invoice_states=INVOICE_STATES)


@bp.route("/runs/<int:run_id>/lines")
@permission_required("run.read")
def run_lines(run_id):
    run = get_run_or_404(run_id)
    return render_template("payouts/lines.html", run=run, components=COMPONENTS, line_statuses=LINE_STATUSES,
                           page=payout_runs.lines_page(run, request.args.get("seite", 1, type=int)))


def _act(run_id, action, message, done: str | None = None):
    """Post a run action for the version shown; back to the run page (or `done` after success)."""
    run = get_run_or_404(run_id)
    form = RunActionForm()
    if not form.validate_on_submit():
        abort(400)
    if form.version.data != str(run.version):
        flash("Der Lauf wurde inzwischen geändert; bitte die aktuelle Fassung prüfen.", "error")
        return redirect(url_for(".run_detail", run_id=run.id))
    try:
        action(current_user, run.id, run.version)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(message, "success")
        if done:
            return redirect(done)
    return redirect(url_for(".run_detail", run_id=run.id))


@bp.route("/runs/<int:run_id>/recompute", methods=("POST",))
@permission_required("run.prepare")
def recompute(run_id):
    run = get_run_or_404(run_id)
    return _act(run_id, lambda user, _id, _version: payout_runs.prepare(user, run.payout_date, date.today()),
                "Lauf neu berechnet.")


@bp.route("/runs/<int:run_id>/verwerfen", methods=("POST",))
@permission_required("run.prepare")
def discard(run_id):
    return _act(run_id, lambda user, run_id_, _version: payout_runs.discard(user, run_id_), "Entwurf verworfen.",
                done=url_for(".runs"))


@bp.route("/runs/<int:run_id>/approve", methods=("POST",))
@permission_required("run.approve")
def approve(run_id):
    if not login_is_fresh():
        flash(REAUTH_MESSAGE, "warning")
        logout_user()
        return redirect(url_for("auth.login", next=url_for(".run_detail", run_id=run_id, fortsetzen="freigeben")))
    return _act(run_id, payout_runs.approve, "Lauf freigegeben; die Zeilen sind eingefroren.")


@bp.route("/runs/<int:run_id>/book", methods=("POST",))
@permission_required("run.book")
def book(run_id):
    return _act(run_id, lambda user, run_id_, _version: payout_runs.book(user, run_id_),
                "Lauf als verbucht markiert.")


@bp.route("/runs/<int:run_id>/lines/<int:line_id>")
def line_detail(run_id, line_id):
    line = get_line_for_user(run_id, line_id)
    report = Report.get_or_none(Report.id == line.report_id) if line.report_id else None
    return render_template("payouts/line.html", line=line, run=line.run, report=report,
                           evidence=run_views.report_evidence(report), clauses=run_views.clauses(line.rule),
                           components=COMPONENTS, line_statuses=LINE_STATUSES)


@bp.route("/municipalities/<int:municipality_id>/payouts")
def municipality_history(municipality_id):
    municipality = get_municipality_or_404(municipality_id)
    statuses = tuple(RUN_STATUSES) if can(current_user, "run.read") else RunStatus.SETTLED
    notices = (RunPayee.select(RunPayee, PayoutRun).join(PayoutRun)
               .where((RunPayee.payee == municipality.id) & PayoutRun.status.in_(statuses))
               .order_by(PayoutRun.payout_date.desc())) if can(current_user, "payout_notice.read") else []
    return render_template("payouts/municipality.html", municipality=municipality,
                           lines=run_views.history(municipality, statuses), components=COMPONENTS,
                           line_statuses=LINE_STATUSES, run_statuses=RUN_STATUSES, notices=notices,
                           anhang1_years=letters.anhang1_years(date.today()))


@bp.route("/budgets/<int:year>")
@permission_required("budget.read")
def budget(year):
    if not 2017 <= year <= 2100:
        abort(404)
    return render_template("payouts/budget.html", budget=payout_runs.budget_year(year), form=RunActionForm())


@bp.route("/budgets/<int:year>/abschliessen", methods=("POST",))
@permission_required("budget.close")
def close_year(year):
    if not RunActionForm().validate_on_submit():
        abort(400)
    try:
        budget = payout_runs.close_year(current_user, year)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Jahr {year} abgeschlossen: Überschuss CHF {chf(budget.surplus)} an den Projektkredit (R17).", "success")
    return redirect(url_for(".budget", year=year))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/runs/<int:run_id>/auszahlungsliste.xlsx")
@permission_required("run.export")
def run_export(run_id):
    run = get_run_or_404(run_id)
    draft = "ENTWURF_" if run.status == RunStatus.DRAFT else ""
    return _xlsx(exports.payout_list(run), f"{draft}Auszahlung_{run.payout_date:%Y-%m-%d}.xlsx")


@bp.route("/runs/<int:run_id>/pain001.xml", methods=("POST",))
@permission_required("run.payment_file")
def run_pain001(run_id):
    """A POST with CSRF token (each download is audited, no cross-site link may cause one) after a fresh login:
    the file moves money (AUTH-07)."""
    run = get_run_or_404(run_id)
    if not RunActionForm().validate_on_submit():
        abort(400)
    if not login_is_fresh():
        flash(REAUTH_MESSAGE, "warning")
        logout_user()
        return redirect(url_for("auth.login", next=url_for(".run_detail", run_id=run.id, fortsetzen="zahlungsdatei")))
    try:
        payment = payment_files.pain001(run.id, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".run_detail", run_id=run.id))
    return Response(payment.data, content_type="application/xml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{payment.filename}"'})


@bp.route("/contributions/<int:year>.xlsx")
@permission_required("contributions.export")
def contributions_export(year):
    if not 2018 <= year <= 2100:
        abort(404)
    own = municipality_ids(current_user, "contributions.export", date.today())
    if own is not None:  # officers: rows of their own municipalities only
        return _xlsx(exports.contributions(year, own), f"Anhang1_{year}_eigene_Gemeinden.xlsx")
    return _xlsx(exports.contributions(year), f"Anhang1_{year}.xlsx")


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/runs/<int:run_id>/auszahlungsanzeige/<int:payee_id>.pdf")
@permission_required("payout_notice.read")
def payout_notice(run_id, payee_id):
    """Issue 15: a payee's payout notice; officers only their own payee in approved or booked runs (else 404)."""
    run = get_run_or_404(run_id)
    try:
        filename, data = letters.notice_pdf(current_user, run, payee_id)
    except DomainError:  # a foreign payee, a draft or a payee not in the run: nothing revealed
        abort(404)
    return _pdf(data, filename)


@bp.route("/municipalities/<int:municipality_id>/anhang1/<int:year>.pdf")
@permission_required("contributions.export")
def anhang1_pdf(municipality_id, year):
    """R25: the Anhang 1 letter of one municipality and year (officers: their own municipalities)."""
    municipality = get_municipality_or_404(municipality_id)
    try:
        filename, data = letters.anhang1_pdf(current_user, year, municipality)
    except DomainError:
        abort(404)
    return _pdf(data, filename)
