"""`letters`, `mail` and `reminders`: what leaves the application through the outbox (issue 15), thin over services."""
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from models import db
from services import letters, mail_sender, outbox, payout_runs, reminders
from services.audit import Actor
from services.errors import DomainError

from .common import day as _day
from .common import fail as _fail

letters_cli = AppGroup("letters", help="Briefe des Kantons in den Postausgang stellen (Anhang 1, R25).")
mail_cli = AppGroup("mail", help="Postausgang zustellen (per Timer/cron), Versandweg anzeigen.")
reminders_cli = AppGroup("reminders", help="Erinnerungen vor und Mahnungen nach den Fristen (R2, R3) an die IB.")


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
