"""`flask --app app invoices …`: the invoice register from the command line (issue 16), thin over services.invoices."""
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from core.formatting import chf, date_ch
from models import INVOICE_STATES, Invoice, Municipality, db
from services import invoices, payout_runs
from services.errors import DomainError

from .common import day
from .common import fail as _fail

invoices_cli = AppGroup("invoices", help="Rechnungen (R16, §4.7): auflisten, bezahlt, storniert, senden, Export.")


def _day(value: str | None) -> date | None:
    return day(value) if value else None


def _invoice_id(number: str) -> int:
    invoice = Invoice.get_or_none(Invoice.number == number)
    if invoice is None:
        _fail(f"Unbekannte Rechnung {number}.")
    return invoice.id


def _criteria(status, bfs, year) -> invoices.InvoiceFilter:
    municipality_id = None
    if bfs:
        municipality = Municipality.get_or_none(Municipality.bfs_nr == bfs)
        if municipality is None:
            _fail(f"Keine Gemeinde mit BFS-Nr {bfs}.")
        municipality_id = municipality.id
    return invoices.InvoiceFilter(status, municipality_id, year)


_FILTERS = [
    click.option("--status", type=click.Choice(list(invoices.FILTER_STATES)), help="offen, überfällig, …"),
    click.option("--bfs", type=int, help="Schuldnerin (BFS-Nr; Vorgängerinnen eingeschlossen, R26)"),
    click.option("--year", type=int, help="Jahr des Rechnungsdatums"),
    click.option("--on", "on", help="Stichtag für «überfällig» (Standard: heute)"),
    click.option("--as", "as_email", required=True, help="E-Mail (Rolle admin, accountant oder auditor)"),
]


def _filters(command):
    for option in reversed(_FILTERS):
        command = option(command)
    return command


@invoices_cli.command("list")
@_filters
def invoices_list(status, bfs, year, on, as_email):
    """Rechnungen mit Status am Stichtag auflisten."""
    day = _day(on) or date.today()
    try:
        with db.connection_context():
            rows = invoices.register(payout_runs.user_by_email(as_email), _criteria(status, bfs, year), day)
            for invoice in rows:
                debtor = invoices.debtor_of(invoice.municipality, day)
                click.echo(f"{invoice.number}  {debtor.bfs_nr} {debtor.name}  CHF {chf(invoice.amount)}  "
                           f"fällig {date_ch(invoice.due_date)}  {INVOICE_STATES[invoice.state_on(day)]}")
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{len(rows)} Rechnung(en).")


@invoices_cli.command("pay")
@click.argument("number")
@click.option("--paid-on", required=True, help="Datum des Zahlungseingangs")
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle accountant)")
def invoices_pay(number, paid_on, as_email):
    """Zahlungseingang erfassen (einmal; nicht vor dem Rechnungsdatum, nicht in der Zukunft)."""
    try:
        with db.connection_context():
            invoice = invoices.mark_paid(payout_runs.user_by_email(as_email), _invoice_id(number), _day(paid_on))
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Rechnung {invoice.number} am {date_ch(invoice.paid_on)} als bezahlt erfasst.")


@invoices_cli.command("cancel")
@click.argument("number")
@click.option("--reason", required=True, help="Grund der Stornierung")
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle accountant)")
def invoices_cancel(number, reason, as_email):
    """Offene Rechnung mit Grund stornieren."""
    try:
        with db.connection_context():
            invoice = invoices.cancel(payout_runs.user_by_email(as_email), _invoice_id(number), reason)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Rechnung {invoice.number} storniert.")


@invoices_cli.command("send")
@click.argument("number")
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle accountant)")
def invoices_send(number, as_email):
    """Rechnung (PDF mit QR-Einzahlungsschein) an die Finanzverwaltung in den Postausgang stellen."""
    try:
        with db.connection_context():
            message, created = invoices.send(payout_runs.user_by_email(as_email), _invoice_id(number))
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Rechnung {number} {'in den Postausgang gestellt' if created else 'ist bereits im Postausgang'} "
               f"({message.status}).")


@invoices_cli.command("pdf")
@click.argument("number")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Ziel .pdf")
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle admin, accountant oder auditor)")
def invoices_pdf(number, output, as_email):
    """Rechnung als PDF mit QR-Einzahlungsschein schreiben."""
    try:
        with db.connection_context():
            _invoice, data = invoices.pdf(payout_runs.user_by_email(as_email), _invoice_id(number))
    except DomainError as exc:
        _fail(exc.message)
    output.write_bytes(data)
    click.echo(f"{output} geschrieben.")


@invoices_cli.command("export")
@_filters
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Ziel .xlsx")
def invoices_export(status, bfs, year, on, as_email, output):
    """Rechnungsregister (gefiltert) als Excel-Datei."""
    try:
        with db.connection_context():
            data = invoices.export(payout_runs.user_by_email(as_email), _criteria(status, bfs, year),
                                   _day(on) or date.today())
    except DomainError as exc:
        _fail(exc.message)
    output.write_bytes(data)
    click.echo(f"{output} geschrieben.")
