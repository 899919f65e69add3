"""Thin click wrappers over the services; each docstring is the command's help text."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from models import Municipality, db
from models.schema import upgrade
from services.audit import Actor
from services.demo import demo_logins, seed_demo
from services.errors import DomainError
from services.imports import KINDS, run_import
from services.reference_data import load_reference_data
from services.users import create_user, set_password

users_cli = AppGroup("users", help="Benutzer verwalten.")


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


def register_cli(app) -> None:
    for command in (init_db_command, seed_demo_command, import_command):
        app.cli.add_command(command)
    app.cli.add_command(users_cli)
    app.shell_context_processor(lambda: {"db": db, "Municipality": Municipality})
