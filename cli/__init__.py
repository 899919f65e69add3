"""Thin click wrappers over the services; each docstring is the command's help text."""
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
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
    letters,
    mail_sender,
    outbox,
    payment_files,
    payout_runs,
    reminders,
    settings,
    tabular,
)
from services.audit import Actor
from services.demo import demo_logins, seed_demo
from services.errors import DomainError
from services.imports import KINDS, run_import
from services.reference_data import load_reference_data
from services.users import create_user, set_password

from .invoices import invoices_cli

users_cli = AppGroup("users", help="Benutzer verwalten.")
payouts_cli = AppGroup("payouts", help="Auszahlungsläufe vorbereiten, freigeben, anzeigen (R4–R17).")
clawbacks_cli = AppGroup("clawbacks", help="Rückforderungen erfassen (R16).")
budgets_cli = AppGroup("budgets", help="Jahreskredite setzen (R17).")
export_cli = AppGroup("export",
                      help="Exporte für die Buchhaltung (Auszahlungsliste, Anhang 1, Zahlungsdatei pain.001).")
decisions_cli = AppGroup("decisions", help="Entscheide erfassen (Verweigerung §4.7, Zahlung nach Jahresabschluss R17).")
letters_cli = AppGroup("letters", help="Briefe des Kantons in den Postausgang stellen (Anhang 1, R25).")
reminders_cli = AppGroup("reminders", help="Erinnerungen vor und Mahnungen nach den Fristen (R2, R3) an die IB.")
mail_cli = AppGroup("mail", help="Postausgang zustellen (per Timer/cron), Versandweg anzeigen.")
settings_cli = AppGroup("settings",
                        help="Einstellungen des Systems (Go-live, Absender und Konto des Kantons; protokolliert).")


def _fail(message: str) -> None:
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(1)


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


def _day(value: str) -> date:
    try:
        return tabular.day(value, "Datum")
    except tabular.CellError as exc:
        raise click.BadParameter(str(exc)) from None


def _amount(value: str) -> Decimal:
    try:
        return Decimal(value.replace("’", "").replace("'", ""))
    except InvalidOperation:
        raise click.BadParameter(f"«{value}» ist kein Betrag (z. B. 1200.50).") from None


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


@settings_cli.command("go-live")
@click.argument("payout_date")
@click.option("--as", "as_email", default=None, help="E-Mail der verantwortlichen Person (Rolle admin)")
def settings_go_live(payout_date, as_email):
    """Go-live setzen (einmalig): Halbjahre, deren Auszahlungstermin davor liegt, gelten als abgerechnet."""
    try:
        with db.connection_context():
            user = payout_runs.user_by_email(as_email) if as_email else None
            setting = settings.set_go_live(_day(payout_date), user)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Go-live per {setting.value}: ab diesem Auszahlungstermin zahlt das System.")


@settings_cli.command("show")
def settings_show():
    """Die Einstellungen des Kantons (Absender, Konto, Briefkopf) anzeigen."""
    with db.connection_context():
        values = settings.canton_settings()
    for key, (label, _default) in settings.CANTON_SETTINGS.items():
        click.echo(f"{key:<20} {values[key]}  ({label})")


@settings_cli.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--as", "as_email", default=None, help="E-Mail der verantwortlichen Person (Rolle admin)")
def settings_set(key, value, as_email):
    """Eine Einstellung des Kantons setzen, z. B. canton.iban (protokolliert)."""
    try:
        with db.connection_context():
            user = payout_runs.user_by_email(as_email) if as_email else None
            setting = settings.set_canton_setting(key, value, user)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{setting.key} = {setting.value}")


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


@letters_cli.command("anhang1")
@click.argument("year", type=int)
@click.option("--today", default=None, help="Briefdatum und Stichtag der Zuständigkeit (Standard: heute)")
@click.option("--as", "as_email", default=None, help="E-Mail der verantwortlichen Person (Rolle admin)")
def letters_anhang1(year, today, as_email):
    """Anhang 1 «Beiträge an die Einwohnergemeinden für das Jahr» an alle IB und Finanzverwaltungen (R25);
    ein zweiter Aufruf stellt nichts Neues in den Postausgang."""
    try:
        with db.connection_context():
            user = payout_runs.user_by_email(as_email) if as_email else None
            result = letters.send_anhang1(year, _day(today) if today else date.today(), user)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(result.summary(year))


@mail_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="höchstens so viele Nachrichten")
@with_appcontext
def mail_send(limit):
    """Fällige Nachrichten des Postausgangs zustellen; mehrere gleichzeitige Aufrufe senden nichts doppelt."""
    settings_ = mail_sender.MailSettings.from_config(current_app.config)
    with db.connection_context():
        result = mail_sender.send_pending(settings_, limit=limit)
        interrupted = mail_sender.interrupted_count()
    click.echo(settings_.describe())
    click.echo(result.summary())
    if interrupted:
        click.echo(f"Achtung: {interrupted} Nachricht(en) «Versand unterbrochen – bitte prüfen» im Postausgang.")
    if result.stopped:
        sys.exit(2)  # the timer's log shows the run as failed while the server is unreachable


@mail_cli.command("info")
@with_appcontext
def mail_info():
    """Zeigt, wohin E-Mails gehen (SMTP-Server oder .eml-Dateien)."""
    click.echo(mail_sender.MailSettings.from_config(current_app.config).describe())


@reminders_cli.command("send")
@click.option("--today", "today", default=None, help="Stichtag (TT.MM.JJJJ oder JJJJ-MM-TT; Standard: heute)")
def reminders_send(today):
    """Erinnerungen (vor der Frist, REMINDER_DAYS_BEFORE Tage) und Mahnungen (danach) in den Postausgang stellen.

    Eine Nachricht pro IB und Stufe mit allen noch nicht erinnerten offenen Formularen ihrer Gemeinden;
    jedes Formular erhält jede Stufe höchstens einmal, ein zweiter Lauf am selben Tag stellt nichts Neues ein.
    """
    day = _day(today) if today else date.today()
    try:
        with db.connection_context():
            result = reminders.send(Actor.cli("reminders"), day, current_app.config["REMINDER_DAYS_BEFORE"])
            lines = [f"  {m.subject} → {', '.join(a for _n, a in outbox.recipients_of(m)) or 'keine Adresse'}"
                     for m in result.messages]
    except DomainError as exc:
        _fail(exc.message)
    if not result.messages:
        click.echo(f"Stichtag {day:%d.%m.%Y}: nichts Neues – jedes fällige Formular wurde bereits erinnert.")
    else:
        click.echo(f"Stichtag {day:%d.%m.%Y}: {len(result.messages)} Nachricht(en) mit {result.reminded} "
                   "Erinnerung(en) in den Postausgang gestellt:")
        click.echo("\n".join(lines))
    if result.postponed:
        click.echo(f"{result.postponed} Formular(e) folgen morgen: die heutige Nachricht an dieselbe Person "
                   "ist bereits eingestellt.")
    if result.without_officer:
        click.echo("Ohne zuständige Person (an die Korrespondenzperson oder «keine Adresse»): "
                   + ", ".join(str(m) for m in result.without_officer))


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
