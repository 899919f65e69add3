"""Consistent online backup and restore of the SQLite database (issue 7); PostgreSQL uses pg_dump/pg_restore."""
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from models import db

from .errors import DomainError


def _sqlite_path() -> str:
    if not isinstance(db.obj, SqliteDatabase):
        raise DomainError("Backup und Restore über die App gibt es nur für SQLite; für PostgreSQL bitte "
                          "pg_dump -Fc und pg_restore verwenden (siehe README).")
    return db.obj.database


def backup(target: Path) -> None:
    """SQLite's backup API copies a consistent snapshot while the application keeps running."""
    source = sqlite3.connect(_sqlite_path())
    try:
        destination = sqlite3.connect(str(target))
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()


def restore(source_file: Path) -> None:
    """Replace the live database's content with the backup, page by page, in one step."""
    live = _sqlite_path()
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        source.close()
        raise DomainError(f"{source_file} ist keine SQLite-Sicherung dieser Anwendung.") from exc
    if "schema_version" not in tables or "municipality" not in tables:
        source.close()
        raise DomainError(f"{source_file} ist keine SQLite-Sicherung dieser Anwendung.")
    if not db.is_closed():
        db.close()
    destination = sqlite3.connect(live)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
