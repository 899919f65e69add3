"""Thin click wrappers over the services; each docstring is the command's help text."""
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.formatting import chf, number
from models import RUN_STATUSES, Municipality, PayoutRun, RunPayee, db
from models.schema import upgrade
from services import (
    backup,
    decisions,
    exports,
    payment_files,
    payout_runs,
)
from services.audit import Actor
from services.demo import demo_logins, seed_demo
from services.errors import DomainError
from services.imports import KINDS, run_import
from services.reference_data import load_reference_data
from services.users import create_user, set_password

from .common import amount as _amount
from .common import day as _day
from .common import fail as _fail
from .invoices import invoices_cli
from .messages import letters_cli, mail_cli, reminders_cli
from .settings import settings_cli

users_cli = AppGroup("users", help="Benutzer verwalten.")
payouts_cli = AppGroup("payouts", help="Auszahlungsläufe vorbereiten, freigeben, anzeigen (R4–R17).")
clawbacks_cli = AppGroup("clawbacks", help="Rückforderungen erfassen (R16).")
budgets_cli = AppGroup("budgets", help="Jahreskredite setzen (R17).")
export_cli = AppGroup("export",
                      help="Exporte für die Buchhaltung (Auszahlungsliste, Anhang 1, Zahlungsdatei pain.001).")
decisions_cli = AppGroup("decisions", help="Entscheide erfassen (Verweigerung §4.7, Zahlung nach Jahresabschluss R17).")


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Passwort", hide_input=True, confirmation_prompt=confirm)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Schema anlegen oder aktualisieren und Referenzdaten (Tarife R5, Formulare) laden."""
    with db.connection_context():
        steps = upgrade() + load_reference_data(Actor.cli("init-db"))
    click.echo("\n".join(steps) if steps else "Datenbank ist aktuell; nichts zu tun.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Demodaten laden (echte Gemeinden und Bestände, erfundene Reportings); wiederholbar."""
    try:
        with db.connection_context():
            steps = seed_demo(current_app.config["PRODUCTION"])
    except DomainError as exc:
        _fail(exc.message)
    click.echo("\n".join(steps) if steps else "Demodaten sind vollständig; nichts zu tun.")
    click.echo(demo_logins())


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, officer, accountant oder auditor")
@click.option("--municipality", "bfs", type=int, help="BFS-Nr (nur für officer)")
@click.option("--name", default="", help="Anzeigename")
def users_create(email, role, bfs, name):
    """Benutzer anlegen; das Passwort kommt von stdin oder wird verdeckt abgefragt."""
    password = _read_password()
    try:
        with db.connection_context():
            user = create_user(Actor.cli(), email, role, password, name=name, municipality_bfs=bfs)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Benutzer {user.email} ({user.role}) angelegt.")


@users_cli.command("set-password")
@click.argument("email")
def users_set_password(email):
    """Passwort setzen (von stdin oder verdeckt abgefragt); beendet alle Sitzungen."""
    password = _read_password()
    try:
        with db.connection_context():
            set_password(Actor.cli(), email, password)
    except DomainError as exc:
        _fail(exc.message)
    click.echo("Passwort gesetzt; bestehende Sitzungen sind beendet.")


@click.command("import")
@with_appcontext
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Nur prüfen, nichts speichern.")
def import_command(kind, file, dry_run):
    """Stammdaten aus CSV oder XLSX importieren (alles oder nichts)."""
    try:
        with db.connection_context():
            result = run_import(kind, file.name, file.read_bytes(), Actor.cli("import"), dry_run)
    except DomainError as exc:
        _fail(exc.message)
    for line, message in result.errors:
        click.echo(f"Zeile {line}: {message}", err=True)
    click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


@payouts_cli.command("prepare")
@click.argument("payout_date")
@click.option("--as", "as_email", required=True, help="E-Mail der vorbereitenden Person (Rolle admin)")
def payouts_prepare(payout_date, as_email):
    """Lauf per 31.03. oder 30.09. berechnen (ein Entwurf wird neu berechnet)."""
    try:
        with db.connection_context():
            run = payout_runs.prepare(payout_runs.user_by_email(as_email), _day(payout_date), date.today())
            summary = payout_runs.run_summary(run)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Lauf {run.id} per {run.payout_date:%d.%m.%Y} ({run.status}): {summary['lines']} Zeilen, "
               f"Total CHF {chf(summary['total'])}, {summary['blockers']} Blocker, "
               f"{summary['withheld']} zurückbehaltene Posten.")


@payouts_cli.command("approve")
@click.argument("run_id", type=int)
@click.option("--version", "version", type=int, required=True,
              help="Die Fassung, die Sie geprüft haben (steht in `payouts show`)")
@click.option("--as", "as_email", required=True, help="E-Mail der freigebenden Person (Rolle accountant)")
def payouts_approve(run_id, version, as_email):
    """Lauf in der geprüften Fassung freigeben (Vier-Augen-Prinzip); erstellt Rechnungen für Rückforderungsreste."""
    try:
        with db.connection_context():
            run = payout_runs.approve(payout_runs.user_by_email(as_email), run_id, version)
            invoices = run.invoices.count()
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Lauf {run.id} per {run.payout_date:%d.%m.%Y} freigegeben; {invoices} Rechnung(en) erstellt.")


@payouts_cli.command("show")
@click.argument("run_id", type=int)
def payouts_show(run_id):
    """Zeilen, Blocker und Totale eines Laufs als Tabelle."""
    with db.connection_context():
        run = PayoutRun.get_or_none(PayoutRun.id == run_id)
        if run is None:
            _fail(f"Unbekannter Lauf {run_id}.")
        click.echo(f"Lauf {run.id} per {run.payout_date:%d.%m.%Y} – {RUN_STATUSES[run.status]}, Fassung {run.version}")
        for payee in run.payees.order_by(RunPayee.name):
            click.echo(f"Empfänger {payee.name}: CHF {chf(payee.amount)} an IBAN {payee.iban or '–'}, "
                       f"Kreditor {payee.creditor_number or '–'}")
        click.echo(f"{'BFS':>4}  {'Gemeinde':<24} {'Empfänger':<24} {'Komponente':<24} {'Periode':<26} "
                   f"{'Anzahl':>7} {'Ansatz':>9} {'Betrag':>12}  Status    Regel")
        for line in payout_runs.lines_of(run):
            click.echo(f"{line.municipality.bfs_nr:>4}  {line.municipality.name[:24]:<24} "
                       f"{line.payee.name[:24]:<24} {line.component:<24} {line.period:<26} "
                       f"{'' if line.quantity is None else number(line.quantity):>7} "
                       f"{'' if line.rate is None else chf(line.rate):>9} {chf(line.amount):>12}  "
                       f"{line.status:<9} {line.rule}")
        summary = payout_runs.run_summary(run)
        click.echo(f"Total auszuzahlen: CHF {chf(summary['total'])}")
        for label, key in (("Blocker", "blockers"), ("Zurückbehalten", "withheld")):
            for issue in run.issues.get(key, []):
                click.echo(f"{label}: {issue['message']}")
        for invoice in run.issues.get("invoices", []):
            click.echo(f"Rechnung: CHF {chf(Decimal(invoice['amount']))} – {invoice['reason']}")


@clawbacks_cli.command("add")
@click.argument("bfs", type=int)
@click.argument("amount")
@click.option("--reason", required=True, help="Begründung (Pflicht)")
@click.option("--as", "as_email", required=True, help="E-Mail der entscheidenden Person (Rolle admin)")
@click.option("--decided-on", default=None, help="Entscheiddatum (Standard: heute)")
def clawbacks_add(bfs, amount, reason, as_email, decided_on):
    """Rückforderung gegen eine Gemeinde erfassen; sie wird mit der nächsten Auszahlung verrechnet."""
    try:
        with db.connection_context():
            clawback = payout_runs.add_clawback(payout_runs.user_by_email(as_email), bfs, _amount(amount), reason,
                                                _day(decided_on) if decided_on else date.today())
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Rückforderung {clawback.id}: CHF {chf(clawback.amount)} gegen BFS {bfs} erfasst.")


@budgets_cli.command("set")
@click.argument("year", type=int)
@click.argument("amount")
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle admin)")
def budgets_set(year, amount, as_email):
    """Kredit eines Jahres setzen (R17)."""
    try:
        with db.connection_context():
            budget = payout_runs.set_budget(payout_runs.user_by_email(as_email), year, _amount(amount))
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Budget {budget.year}: CHF {chf(budget.credit)}.")


@decisions_cli.command("add")
@click.argument("bfs", type=int)
@click.argument("kind", type=click.Choice(["refuse_contribution", "pay_after_close", "refuse_late_report",
                                           "pay_late_report"]))
@click.option("--component", type=click.Choice(["fees", "base_contribution"]), help="Pauschalen oder Sockelbeitrag")
@click.option("--period", help="2026-H1 / 2026-H2 (Pauschalen) oder 2026 (Sockelbeitrag)")
@click.option("--reason", required=True, help="Begründung (Pflicht)")
@click.option("--as", "as_email", required=True, help="E-Mail der entscheidenden Person (Rolle admin)")
@click.option("--decided-on", default=None, help="Entscheiddatum (Standard: heute)")
def decisions_add(bfs, kind, component, period, reason, as_email, decided_on):
    """Entscheid erfassen, z. B. «Beitrag verweigert» (§4.7) für Gemeinde, Komponente und Periode."""
    try:
        with db.connection_context():
            decision = decisions.add_decision(payout_runs.user_by_email(as_email), kind, bfs, reason,
                                              _day(decided_on) if decided_on else date.today(), component, period)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Entscheid {decision.id} erfasst: {kind} {component or ''} {decision.period or ''} für BFS {bfs}.")


@budgets_cli.command("close")
@click.argument("year", type=int)
@click.option("--as", "as_email", required=True, help="E-Mail (Rolle admin)")
def budgets_close(year, as_email):
    """Jahr abschliessen: Überschuss einmalig dem Projektkredit gutschreiben (R17, §4.3.4)."""
    try:
        with db.connection_context():
            budget = payout_runs.close_year(payout_runs.user_by_email(as_email), year)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Jahr {year} abgeschlossen: Überschuss CHF {chf(budget.surplus)} an den Projektkredit.")


@export_cli.command("payouts")
@click.argument("run_id", type=int)
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Ziel .xlsx")
def export_payouts(run_id, output):
    """Auszahlungsliste eines Laufs (ein Entwurf nur als markierte Vorschau)."""
    with db.connection_context():
        run = PayoutRun.get_or_none(PayoutRun.id == run_id)
        if run is None:
            _fail(f"Unbekannter Lauf {run_id}.")
        output.write_bytes(exports.payout_list(run))
    click.echo(f"{output} geschrieben{' (ENTWURF)' if run.status == 'draft' else ''}.")


@export_cli.command("pain001")
@click.argument("run_id", type=int)
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Ziel .xml")
@click.option("--as", "as_email", default=None, help="E-Mail der Buchhaltung (sonst als Betreiber protokolliert)")
def export_pain001(run_id, output, as_email):
    """Zahlungsdatei pain.001.001.09 (Swiss Payment Standards) eines freigegebenen Laufs; Entwürfe abgelehnt."""
    if not output.parent.is_dir():
        _fail(f"Verzeichnis {output.parent} existiert nicht; nichts geschrieben.")
    try:
        with db.connection_context():
            user = payout_runs.user_by_email(as_email) if as_email else None
            payment = payment_files.pain001(run_id, user)
    except DomainError as exc:
        _fail(exc.message)
    output.write_bytes(payment.data)
    click.echo(f"{output} geschrieben: MsgId {payment.message_id}, {payment.transactions} Zahlungen, "
               f"CHF {chf(payment.control_sum)}, Ausführung {payment.execution_date:%d.%m.%Y}.")


@export_cli.command("contributions")
@click.argument("year", type=click.IntRange(2018, 2100))
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Ziel .xlsx")
def export_contributions(year, output):
    """Beiträge an die Einwohnergemeinden für das Jahr (Anhang 1, R25)."""
    with db.connection_context():
        output.write_bytes(exports.contributions(year))
    click.echo(f"{output} geschrieben.")


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file):
    """Konsistente Sicherung der SQLite-Datenbank im laufenden Betrieb."""
    if file.exists():
        _fail(f"{file} existiert bereits; bitte einen neuen Dateinamen wählen.")
    try:
        backup.backup(file)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Sicherung geschrieben: {file}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage überschreiben.")
def restore_command(file, yes):
    """Datenbank aus einer Sicherung wiederherstellen (überschreibt den aktuellen Stand)."""
    if not yes and not click.confirm("Der aktuelle Stand wird überschrieben. Fortfahren?"):
        _fail("Abgebrochen.")
    try:
        backup.restore(file)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Wiederhergestellt aus {file}.")


def register_cli(app) -> None:
    for command in (init_db_command, seed_demo_command, import_command, backup_command, restore_command):
        app.cli.add_command(command)
    for group in (users_cli, payouts_cli, clawbacks_cli, budgets_cli, export_cli, settings_cli, decisions_cli,
                  invoices_cli, letters_cli, mail_cli, reminders_cli):
        app.cli.add_command(group)
    app.shell_context_processor(lambda: {"db": db, "Municipality": Municipality})
