"""`settings`: go-live and the canton's sender, account and letterhead (issues 13, 15, 16), audited."""
import click
from flask.cli import AppGroup

from models import db
from services import payout_runs, settings
from services.errors import DomainError

from .common import day as _day
from .common import fail as _fail

settings_cli = AppGroup("settings",
                        help="Einstellungen des Systems (Go-live, Absender und Konto des Kantons; protokolliert).")


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
