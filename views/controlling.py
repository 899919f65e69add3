"""Controlling (issue 17): dashboard with charts, a municipality's own series with its yearly feedback (§5.3),
and the tariff simulator (§4.3.3). Everything here reads; nothing is written."""
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auth.guards import permission_required
from core.calendar import HalfYear, periods_between
from forms.controlling import SimulationForm, rate_fields
from models import TARIFF_KINDS, Municipality
from services import controlling, controlling_documents, controlling_exports
from services import simulation as simulator
from services.errors import DomainError
from views.access import get_municipality_or_404

bp = Blueprint("controlling", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The chart is an image: inline styles inside it are pygal's, and no script runs in an image (and none is there).
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _svg(data: bytes) -> Response:
    return Response(data, mimetype="image/svg+xml", headers={"Content-Security-Policy": SVG_CSP})


def _dashboard():
    return controlling.dashboard(request.args.get("von"), request.args.get("bis"), request.args.get("bezirk"),
                                 date.today())


@bp.route("/controlling")
@permission_required("controlling.read")
def dashboard():
    board = _dashboard()
    query = {k: v for k, v in request.args.items() if k in ("von", "bis", "bezirk") and v}
    return render_template("controlling/dashboard.html", board=board, query=query, charts=controlling_documents.CHARTS,
                           components=controlling.COMPONENTS), (400 if board.errors else 200)


@bp.route("/controlling.xlsx")
@permission_required("controlling.read")
def dashboard_export():
    board = _dashboard()
    if not board.ok:
        flash(" ".join(board.errors.values()), "error")
        return redirect(url_for("controlling.dashboard"))
    return _xlsx(controlling_exports.dashboard_xlsx(board, date.today()),
                 f"Controlling_{board.first}-{board.last}{'_' + board.district if board.district else ''}.xlsx")


@bp.route("/controlling/diagramm/<chart>.svg")
@permission_required("controlling.read")
def dashboard_chart(chart):
    board = _dashboard()
    if chart not in controlling_documents.CHARTS or not board.ok:
        abort(404)
    return _svg(controlling_documents.chart(chart, board.total, board.units, board.halves, board.years))


def _municipality_or_404(municipality_id: int) -> Municipality:
    """R12: officers only their own municipalities; a foreign one is a 404 that reveals nothing."""
    return get_municipality_or_404(municipality_id, "controlling.municipality")


def _own_series(municipality):
    series = controlling.municipality_series(municipality, date.today())
    if series is None:
        return None, [], []
    years = list(range(series.first, series.last + 1))
    return series, periods_between(HalfYear(series.first, 1), HalfYear(series.last, 2)), years


@bp.route("/gemeinden/<int:municipality_id>/controlling")
@permission_required("controlling.municipality")
def municipality(municipality_id):
    muni = _municipality_or_404(municipality_id)
    series, halves, years = _own_series(muni)
    return render_template("controlling/municipality.html", municipality=muni, series=series, halves=halves,
                           years=years, charts=controlling_documents.CHARTS, components=controlling.COMPONENTS)


@bp.route("/gemeinden/<int:municipality_id>/controlling.xlsx")
@permission_required("controlling.municipality")
def municipality_export(municipality_id):
    muni = _municipality_or_404(municipality_id)
    series, halves, years = _own_series(muni)
    if series is None:
        abort(404)
    return _xlsx(controlling_exports.municipality_xlsx(series, halves, years, date.today()),
                 f"Controlling_{muni.bfs_nr}.xlsx")


@bp.route("/gemeinden/<int:municipality_id>/controlling/<chart>.svg")
@permission_required("controlling.municipality")
def municipality_chart(municipality_id, chart):
    muni = _municipality_or_404(municipality_id)
    series, halves, years = _own_series(muni)
    if series is None or chart not in controlling_documents.CHARTS:
        abort(404)
    return _svg(controlling_documents.chart(chart, series, [], halves, years))


@bp.route("/gemeinden/<int:municipality_id>/rueckmeldung/<int:year>.pdf")
@permission_required("controlling.municipality")
def feedback_pdf(municipality_id, year):
    """§5.3: the yearly feedback letter of one municipality (officers: their own, R12)."""
    muni = _municipality_or_404(municipality_id)
    try:
        filename, data = controlling_documents.feedback_pdf(current_user, muni, year, date.today())
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("controlling.municipality", municipality_id=muni.id))
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _simulate(form: SimulationForm):
    """The simulation for a valid form; a refusal of the service becomes the form's message."""
    if not request.args or not form.validate():
        return None
    try:
        return simulator.simulate(form.jahr.data, {kind: form[kind].data for kind in TARIFF_KINDS},
                                   form.basis.data, form.basisjahr.data)
    except DomainError as exc:
        form.form_errors.append(str(exc))
        return None


def _form() -> SimulationForm:
    form = SimulationForm(request.args)
    if not request.args:  # first visit: next year at the rates in force
        form.jahr.data = date.today().year + 1
        for kind, amount in simulator.current_rates(form.jahr.data).items():
            form[kind].data = amount
    return form


@bp.route("/controlling/simulation")
@permission_required("controlling.simulate")
def simulation():
    form = _form()
    result = _simulate(form)
    failed = bool(request.args) and result is None
    return render_template("controlling/simulation.html", form=form, rate_fields=rate_fields(form), result=result,
                           kinds=TARIFF_KINDS, bases=simulator.BASES,
                           query=request.query_string.decode()), (400 if failed else 200)


@bp.route("/controlling/simulation.xlsx")
@permission_required("controlling.simulate")
def simulation_export():
    form = _form()
    result = _simulate(form)
    if result is None:
        flash(" ".join([*form.form_errors, *(e for errors in form.errors.values() for e in errors)])
              or "Bitte zuerst die Simulation ausfüllen.", "error")
        return redirect(url_for("controlling.simulation", **request.args))
    return _xlsx(controlling_exports.simulation_xlsx(result, date.today()), f"Tarifsimulation_{result.year}.xlsx")
