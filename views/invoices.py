"""Rechnungen (issue 16, R16, §4.7): register with filters, overdue list, export, detail with history and actions."""
from datetime import date
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auth.guards import permission_required
from auth.policy import can
from core.formatting import chf, date_ch
from forms.invoices import CancelForm, InvoiceFilterForm, PayForm, SendForm
from models import INVOICE_STATES, MESSAGE_KINDS, OUTBOX_STATES, Invoice, Municipality
from services import invoices
from services.errors import DomainError

bp = Blueprint("invoices", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def get_invoice_or_404(invoice_id: int) -> Invoice:
    """Readers of the register see every invoice; others (officers) get 403 before any lookup."""
    if not can(current_user, "invoice.read"):
        abort(403)
    return Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)


def _criteria(form: InvoiceFilterForm) -> tuple[invoices.InvoiceFilter, date]:
    day = form.stichtag.data or date.today()
    if not form.validate():  # a bad filter lists nothing, never everything (review finding)
        return invoices.InvoiceFilter(municipality_id=-1), day
    municipality_id = None
    if form.gemeinde.data:
        municipality = Municipality.get_or_none(Municipality.bfs_nr == form.gemeinde.data)
        if municipality is None:
            form.gemeinde.errors = [f"Keine Gemeinde mit BFS-Nr {form.gemeinde.data}."]
            municipality_id = -1  # an unknown number lists nothing rather than everything
        else:
            municipality_id = municipality.id
    return invoices.InvoiceFilter(form.status.data or None, municipality_id, form.jahr.data), day


@bp.route("/rechnungen")
@permission_required("invoice.read")
def index():
    form = InvoiceFilterForm(request.args)
    criteria, day = _criteria(form)
    rows = invoices.register(current_user, criteria, day)
    return render_template("invoices/list.html", form=form, invoices=rows, day=day, states=INVOICE_STATES,
                           total=sum((i.amount for i in rows if i.status != "cancelled"), Decimal("0.00")),
                           debtors={i.id: invoices.debtor_of(i.municipality, day) for i in rows},
                           title="Rechnungen", query=request.query_string.decode())


@bp.route("/rechnungen/ueberfaellig")
@permission_required("invoice.read")
def overdue():
    day = date.today()
    rows = invoices.overdue(current_user, day)
    return render_template("invoices/list.html", form=None, invoices=rows, day=day, states=INVOICE_STATES,
                           total=sum((i.amount for i in rows if i.status != "cancelled"), Decimal("0.00")),
                           debtors={i.id: invoices.debtor_of(i.municipality, day) for i in rows},
                           title="Überfällige Rechnungen", query="status=overdue")


@bp.route("/rechnungen.xlsx")
@permission_required("invoice.read")
def export():
    form = InvoiceFilterForm(request.args)
    criteria, day = _criteria(form)
    data = invoices.export(current_user, criteria, day)
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="Rechnungen_{day:%Y-%m-%d}.xlsx"'})


def _detail(invoice: Invoice, pay_form=None, cancel_form=None, status=200):
    day = date.today()
    return render_template(
        "invoices/detail.html", invoice=invoice, day=day, states=INVOICE_STATES,
        debtor=invoices.debtor_of(invoice.municipality, day), reference=invoices.reference(invoice),
        history=invoices.history(invoice), message=invoices.message_of(invoice), kinds=MESSAGE_KINDS,
        outbox_states=OUTBOX_STATES, pay_form=pay_form or PayForm(formdata=None, paid_on=day),
        cancel_form=cancel_form or CancelForm(formdata=None), send_form=SendForm()), status


@bp.route("/rechnungen/<int:invoice_id>")
@permission_required("invoice.read")
def detail(invoice_id):
    return _detail(get_invoice_or_404(invoice_id))


@bp.route("/rechnungen/<int:invoice_id>.pdf")
@permission_required("invoice.read")
def pdf(invoice_id):
    invoice = get_invoice_or_404(invoice_id)
    try:
        _invoice, data = invoices.pdf(current_user, invoice.id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".detail", invoice_id=invoice.id))
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="Rechnung_{invoice.number}.pdf"'})


def _apply_errors(form, exc: DomainError, invoice_id: int) -> None:
    """Next to the field while the form is shown (open invoice); on top once it is paid or cancelled."""
    if not exc.field_errors or Invoice.get_by_id(invoice_id).status != "open":
        flash(exc.message, "error")
        return
    for name, errors in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(errors)


@bp.route("/rechnungen/<int:invoice_id>/bezahlt", methods=("POST",))
@permission_required("invoice.pay")
def pay(invoice_id):
    invoice = get_invoice_or_404(invoice_id)
    form = PayForm()
    if form.validate_on_submit():
        try:
            invoice = invoices.mark_paid(current_user, invoice.id, form.paid_on.data)
        except DomainError as exc:
            _apply_errors(form, exc, invoice.id)
        else:
            flash(f"Rechnung {invoice.number} als bezahlt erfasst (CHF {chf(invoice.amount)}, "
                  f"{date_ch(invoice.paid_on)}).", "success")
            return redirect(url_for(".detail", invoice_id=invoice.id))
    return _detail(Invoice.get_by_id(invoice.id), pay_form=form, status=400)


@bp.route("/rechnungen/<int:invoice_id>/stornieren", methods=("POST",))
@permission_required("invoice.cancel")
def cancel(invoice_id):
    invoice = get_invoice_or_404(invoice_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            invoice = invoices.cancel(current_user, invoice.id, form.reason.data)
        except DomainError as exc:
            _apply_errors(form, exc, invoice.id)
        else:
            flash(f"Rechnung {invoice.number} storniert.", "success")
            return redirect(url_for(".detail", invoice_id=invoice.id))
    return _detail(Invoice.get_by_id(invoice.id), cancel_form=form, status=400)


@bp.route("/rechnungen/<int:invoice_id>/senden", methods=("POST",))
@permission_required("invoice.send")
def send(invoice_id):
    invoice = get_invoice_or_404(invoice_id)
    if not SendForm().validate_on_submit():
        abort(400)
    try:
        message, created = invoices.send(current_user, invoice.id)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        if created:
            flash(f"Rechnung {invoice.number} in den Postausgang gestellt.", "success")
        else:
            flash(f"Rechnung {invoice.number} ist bereits im Postausgang ({OUTBOX_STATES[message.status]}); "
                  "nichts Neues erstellt.", "info")
    return redirect(url_for(".detail", invoice_id=invoice.id))
