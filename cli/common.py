"""What every command shares: a German failure line with exit code 1, dates and amounts from the command line."""
import sys
from datetime import date
from decimal import Decimal, InvalidOperation

import click

from services import tabular


def fail(message: str) -> None:
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(1)


def day(value: str) -> date:
    try:
        return tabular.day(value, "Datum")
    except tabular.CellError as exc:
        raise click.BadParameter(str(exc)) from None


def amount(value: str) -> Decimal:
    try:
        return Decimal(value.replace("’", "").replace("'", ""))
    except InvalidOperation:
        raise click.BadParameter(f"«{value}» ist kein Betrag (z. B. 1200.50).") from None
