"""Random samples of financial control (R24, §6): draw, request evidence, judge; officers upload evidence;
the admin decides proposed clawbacks. Views are thin: parse, call one service, flash, redirect."""
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from auth.guards import permission_required
from auth.policy import can, municipality_ids
from core.numbers import parse_int
from forms.samples import ALL_DISTRICTS, ActionForm, DrawForm, EvidenceForm, JudgeForm, ProposalForm
from models import (
    ITEM_STATUSES,
    OUTCOMES,
    PROPOSAL_STATES,
    Evidence,
    Municipality,
    Report,
    Sample,
    SampleItem,
)
from services import evidence as evidence_service
from services import exports, samples
from services.errors import DomainError

bp = Blueprint("samples", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSION = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def _show(form, exc: DomainError) -> None:
    """The refusal next to its field(s), or on top of the form."""
    placed = False
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + messages
            placed = True
    if not placed:
        flash(exc.message, "error")


def get_sample_or_404(sample_id: int) -> Sample:
    return Sample.get_or_none(Sample.id == sample_id) or abort(404)


def get_item_or_404(item_id: int, action: str = "sample.read") -> SampleItem:
    """An item the user may act on; officers only their own municipalities' (R12), 404 otherwise."""
    item = SampleItem.get_or_none(SampleItem.id == item_id)
    if item is None or not can(current_user, action, item):
        abort(404)
    return item


def _items(query):
    return (query.select(SampleItem, Municipality, Report).join(Municipality).switch(SampleItem).join(Report))


@bp.route("/stichproben", methods=("GET", "POST"))
@permission_required("sample.read", post="sample.draw")
def index():
    form = DrawForm()
    form.district.choices = [ALL_DISTRICTS] + [SelectChoice(d, d) for d in samples.districts()]
    if not form.is_submitted():
        form.year.data = form.year.data or str(date.today().year - 1)
    elif form.validate():
        try:
            raw_year = (form.year.data or "").strip()
            year = parse_int(raw_year, 2017, 2100)
            if year is None:
                raise DomainError("Ungültiges Jahr.", {"year": ["Bitte ein Jahr angeben (z. B. 2025)."]})
            value = parse_int(form.value.data, 0, 10**6)
            if value is None:
                raise DomainError("Ungültiger Umfang.", {"value": ["Bitte eine ganze Zahl angeben."]})
            sample = samples.draw_sample(current_user, year, method=form.method.data, value=value,
                                         seed=form.seed.data, stratified=form.stratified.data,
                                         district=form.district.data)
        except DomainError as exc:
            _show(form, exc)
        else:
            flash(f"Stichprobe gezogen: {sample.size} von {sample.population_size} Reportings, Seed {sample.seed}.",
                  "success")
            return redirect(url_for(".detail", sample_id=sample.id))
    return render_template("samples/index.html", form=form,
                           samples=list(Sample.select().order_by(Sample.id.desc())),
                           open_proposals=samples.open_proposals().count())


@bp.route("/stichproben/<int:sample_id>")
@permission_required("sample.read")
def detail(sample_id):
    sample = get_sample_or_404(sample_id)
    items = list(_items(SampleItem).where(SampleItem.sample == sample.id)
                 .order_by(SampleItem.district, Municipality.bfs_nr, Report.year, Report.half))
    quotas: dict[str, int] = {}
    for item in items:
        quotas[item.district] = quotas.get(item.district, 0) + 1
    return render_template("samples/detail.html", sample=sample, items=items, quotas=quotas, form=ActionForm(),
                           statuses=ITEM_STATUSES, outcomes=OUTCOMES, proposals=PROPOSAL_STATES)


@bp.route("/stichproben/<int:sample_id>/anfordern", methods=("POST",))
@permission_required("sample.request")
def request_all(sample_id):
    sample = get_sample_or_404(sample_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = samples.request_all(current_user, sample.id)
    flash(f"Belege für {count} Reportings angefordert." if count else "Alle Belege waren schon angefordert.",
          "success")
    return redirect(url_for(".detail", sample_id=sample.id))


@bp.route("/stichproben/<int:sample_id>/stichprobe.xlsx")
@permission_required("sample.export")
def export(sample_id):
    sample = get_sample_or_404(sample_id)
    return Response(exports.sample_list(sample), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="Stichprobe_{sample.id}_{sample.year}.xlsx"'})


@bp.route("/stichproben/posten/<int:item_id>", methods=("GET", "POST"))
@permission_required("sample.read", post="sample.judge")
def item(item_id):
    item_ = get_item_or_404(item_id)
    form = JudgeForm(obj=None if item_.outcome is None else item_)
    if form.validate_on_submit():
        try:
            samples.judge(current_user, item_.id, form.outcome.data, form.amount.data, form.text.data)
        except DomainError as exc:
            _show(form, exc)
        else:
            flash("Ergebnis erfasst.", "success")
            return redirect(url_for(".item", item_id=item_.id))
    return render_template("samples/item.html", item=item_, form=form, action=ActionForm(),
                           proposal_form=ProposalForm(), evidence=list(item_.evidence.order_by(Evidence.id)),
                           statuses=ITEM_STATUSES, outcomes=OUTCOMES, proposals=PROPOSAL_STATES)


@bp.route("/stichproben/posten/<int:item_id>/anfordern", methods=("POST",))
@permission_required("sample.request")
def request_item(item_id):
    item_ = get_item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    new = samples.request_evidence(current_user, item_.id)
    flash("Belege angefordert." if new else "Die Belege waren schon angefordert.", "success")
    return redirect(url_for(".item", item_id=item_.id))


@bp.route("/stichproben/vorschlaege")
@permission_required("sample.read")
def proposals():
    items = list(_items(samples.open_proposals()))
    return render_template("samples/proposals.html", items=items, form=ProposalForm())


@bp.route("/stichproben/posten/<int:item_id>/entscheid", methods=("POST",))
@permission_required("sample.proposal")
def decide(item_id):
    item_ = get_item_or_404(item_id)
    form = ProposalForm()
    if not form.validate_on_submit() or form.decision.data not in ("accept", "dismiss"):
        flash("Bitte «Rückforderung erfassen» oder «verwerfen» wählen.", "error")
        return redirect(url_for(".proposals"))
    try:
        samples.decide_proposal(current_user, item_.id, form.decision.data == "accept", form.reason.data)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash("Rückforderung erfasst." if form.decision.data == "accept" else "Vorschlag verworfen.", "success")
    return redirect(url_for(".proposals"))


@bp.route("/belege")
@permission_required("evidence.upload")
def officer_items():
    own = municipality_ids(current_user, "evidence.upload", date.today())
    items = list(_items(SampleItem).where(SampleItem.municipality.in_(own or set())
                                          & SampleItem.requested_at.is_null(False))
                 .order_by(SampleItem.requested_at.desc(), SampleItem.id))
    files: dict[int, list[Evidence]] = {}
    for evidence in Evidence.select().where(Evidence.item.in_([i.id for i in items])).order_by(Evidence.id):
        files.setdefault(evidence.item_id, []).append(evidence)
    return render_template("samples/officer.html", items=items, files=files, statuses=ITEM_STATUSES,
                           forms={i.id: EvidenceForm(prefix=f"i{i.id}") for i in items})


@bp.route("/belege/<int:item_id>", methods=("POST",))
@permission_required("evidence.upload")
def upload(item_id):
    item_ = get_item_or_404(item_id, "evidence.upload")
    form = EvidenceForm(prefix=f"i{item_.id}")
    if not form.validate_on_submit():
        abort(400)
    upload_ = form.file.data
    if upload_ is None or not getattr(upload_, "filename", None):
        flash("Bitte eine Datei wählen.", "error")
        return redirect(url_for(".officer_items"))
    try:
        evidence_service.upload(current_user, item_.id, upload_.filename, upload_.read(),
                                Path(current_app.config["EVIDENCE_DIR"]), current_app.config["EVIDENCE_MAX_BYTES"])
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash("Beleg hochgeladen.", "success")
    return redirect(url_for(".officer_items"))


@bp.route("/belege/datei/<int:evidence_id>")
@permission_required("evidence.read")
def evidence_file(evidence_id):
    """Only the auditor, the admin and the municipality's officers (R12); always a download, never rendered."""
    evidence = Evidence.get_or_none(Evidence.id == evidence_id)
    if evidence is None or not can(current_user, "evidence.read", evidence):
        abort(404)
    data = evidence_service.read(evidence, Path(current_app.config["EVIDENCE_DIR"]))
    filename = f"Beleg_{evidence.id}{EXTENSION[evidence.content_type]}"  # server-made: no user input in headers
    return Response(data, mimetype=evidence.content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"})
