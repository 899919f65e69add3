"""Build the peewee database from DATABASE_URL (SQLite file or PostgreSQL)."""
from pathlib import Path

from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse

SQLITE_PRAGMAS = {
    "foreign_keys": 1,
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: money must survive a power loss (checklist T10)
    "busy_timeout": 10000,
}


class DatabaseUnavailable(Exception):
    """The configured database cannot be reached or opened."""


def make_database(url: str) -> Database:
    """A database object for a sqlite:/// or postgresql:// URL."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
    if url.startswith(("postgresql://", "postgres://")):
        params = parse(url)
        params.setdefault("connect_timeout", 5)
        return PostgresqlDatabase(params.pop("database"), **params)
    raise DatabaseUnavailable(
        f"DATABASE_URL wird nicht unterstützt: {url.split(':', 1)[0]}:// "
        "(erlaubt: sqlite:///PFAD oder postgresql://…)"
    )


def check_connection(database: Database) -> None:
    """Open and close one connection; raise DatabaseUnavailable with the driver's reason."""
    try:
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT 1")
    except (OperationalError, Exception) as exc:  # driver errors differ per backend
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"Datenbank nicht erreichbar: {reason}") from exc
    finally:
        if not database.is_closed():
            database.close()
