"""Schema creation and versioned migrations (playhouse.migrate), used by `init-db`."""
from dataclasses import dataclass
from typing import Callable

from peewee import PostgresqlDatabase, TextField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from . import ALL_MODELS, AuditEntry, Municipality, SchemaVersion, db


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    up: Callable[[], None]
    down: Callable[[], None]


def _migrator():
    database = db.obj
    return PostgresqlMigrator(database) if isinstance(database, PostgresqlDatabase) else SqliteMigrator(database)


def _v1_up():
    db.create_tables(ALL_MODELS, safe=True)
    _install_audit_guard()


def _v1_down():
    raise RuntimeError("Version 1 ist das Ausgangsschema und kann nicht zurückgenommen werden")


def _v2_up():
    migrate(_migrator().add_column("municipality", "correspondent_email", TextField(null=True)))


def _v2_down():
    migrate(_migrator().drop_column("municipality", "correspondent_email"))


def _v3_up():
    migrate(_migrator().add_column("payout_run", "issues_json", TextField(default="{}")))


def _v3_down():
    migrate(_migrator().drop_column("payout_run", "issues_json"))


def _v4_up():
    migrate(_migrator().rename_column("self_declaration", "answers_json", "values_json"))


def _v4_down():
    migrate(_migrator().rename_column("self_declaration", "values_json", "answers_json"))


MIGRATIONS = [
    Migration(1, "Ausgangsschema", _v1_up, _v1_down),
    Migration(2, "Korrespondenzperson der Gemeinde (§4.5.1)", _v2_up, _v2_down),
    Migration(3, "Blocker, zurückbehaltene Posten und Rechnungsentwürfe eines Laufs", _v3_up, _v3_down),
    Migration(4, "Eine Wertespalte für alle Formulare: Selbstdeklaration answers_json → values_json", _v4_up,
              _v4_down),
]
LATEST = MIGRATIONS[-1].version


def _install_audit_guard():
    """Make the audit log append-only in the database itself (R23)."""
    table = AuditEntry._meta.table_name
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END; $$ LANGUAGE plpgsql"
        )
        db.execute_sql(f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {table}")
        db.execute_sql(
            f"CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_entry_no_{event.lower()} BEFORE {event} "
                f"ON {table} BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END"
            )


def current_version() -> int:
    if not SchemaVersion.table_exists():
        return 0
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def upgrade() -> list[str]:
    """Create a new schema or apply pending migrations; returns what was done (idempotent)."""
    done = []
    with db.atomic():
        version = current_version()
        if version == 0:
            if Municipality.table_exists():
                raise RuntimeError(
                    "Die Datenbank enthält Tabellen, aber keine Schema-Version: bitte prüfen"
                )
            _v1_up()  # a new database gets the current models in one step
            for step in MIGRATIONS:
                SchemaVersion.create(version=step.version, description=step.description)
            return [f"Schema neu erstellt (Version {LATEST})"]
        for step in MIGRATIONS:
            if step.version > version:
                step.up()
                SchemaVersion.create(version=step.version, description=step.description)
                done.append(f"Migration {step.version}: {step.description}")
    return done


def downgrade_to(target: int) -> None:
    """Undo migrations above `target` (used to test upgrades from older databases)."""
    with db.atomic():
        for step in reversed(MIGRATIONS):
            if target < step.version <= current_version():
                step.down()
                SchemaVersion.delete().where(SchemaVersion.version == step.version).execute()
