"""Schema creation and versioned migrations (playhouse.migrate), used by `init-db`."""
from dataclasses import dataclass
from typing import Callable

from peewee import DateTimeField, IntegerField, PostgresqlDatabase, TextField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from . import (
    ALL_MODELS,
    DECISION_KINDS,
    AuditEntry,
    LedgerEntry,
    MoneyField,
    Municipality,
    OutboxAttachment,
    OutboxMessage,
    Reminder,
    RunPayee,
    SchemaVersion,
    Setting,
    db,
)


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


def _decision_kinds_sql(kinds) -> str:
    return "kind IN ('" + "','".join(kinds) + "')"


_V5_OLD_DECISION_KINDS = ("refuse_late_report", "pay_late_report", "refuse_contribution")
_V5_COLUMNS = [
    ("payout_run", "fingerprint", lambda: TextField(default="")),
    ("payout_line", "ledger_quantity", lambda: IntegerField(null=True)),
    ("payout_line", "ledger_amount", lambda: MoneyField(null=True)),
    ("payout_line", "revision", lambda: IntegerField(null=True)),
    ("decision", "component", lambda: TextField(null=True)),
    ("decision", "period", lambda: TextField(null=True)),
    ("budget", "closed_at", lambda: DateTimeField(null=True)),
    ("budget", "closed_by", lambda: TextField(null=True)),
    ("budget", "surplus", lambda: MoneyField(null=True)),
]


def _set_decision_kinds(kinds) -> None:
    """Widen or narrow the CHECK of decision.kind (SQLite cannot alter a CHECK: the table is rebuilt)."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE decision DROP CONSTRAINT IF EXISTS decision_kind_check")
        db.execute_sql(f"ALTER TABLE decision ADD CONSTRAINT decision_kind_check CHECK ({_decision_kinds_sql(kinds)})")
        return
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name='decision'").fetchone()[0]
    old = sql[sql.index("kind IN ("):]
    old = old[:old.index(")") + 1]
    columns = [row[1] for row in db.execute_sql("PRAGMA table_info(decision)").fetchall()]
    db.execute_sql("ALTER TABLE decision RENAME TO decision_rebuild")
    db.execute_sql(sql.replace(old, _decision_kinds_sql(kinds)))
    names = ", ".join(f'"{c}"' for c in columns)
    db.execute_sql(f"INSERT INTO decision ({names}) SELECT {names} FROM decision_rebuild")
    db.execute_sql("DROP TABLE decision_rebuild")


def _v5_up():
    migrator = _migrator()
    migrate(*[migrator.add_column(table, column, make()) for table, column, make in _V5_COLUMNS])
    _set_decision_kinds(DECISION_KINDS)
    db.create_tables([Setting, RunPayee, LedgerEntry], safe=True)


def _v5_down():
    db.drop_tables([LedgerEntry, RunPayee, Setting])
    _set_decision_kinds(_V5_OLD_DECISION_KINDS)
    migrator = _migrator()
    migrate(*[migrator.drop_column(table, column) for table, column, _make in _V5_COLUMNS])


def _v6_up():
    db.create_tables([OutboxMessage, OutboxAttachment], safe=True)


def _v6_down():
    db.drop_tables([OutboxAttachment, OutboxMessage])


def _v8_up():
    db.create_tables([Reminder], safe=True)


def _v8_down():
    db.drop_tables([Reminder])


MIGRATIONS = [
    Migration(1, "Ausgangsschema", _v1_up, _v1_down),
    Migration(2, "Korrespondenzperson der Gemeinde (§4.5.1)", _v2_up, _v2_down),
    Migration(3, "Blocker, zurückbehaltene Posten und Rechnungsentwürfe eines Laufs", _v3_up, _v3_down),
    Migration(4, "Eine Wertespalte für alle Formulare: Selbstdeklaration answers_json → values_json", _v4_up,
              _v4_down),
    Migration(5, "Zahlungsjournal, Go-live, Bankdaten pro Lauf, Verweigerungen, Jahresabschluss (Geldintegrität)",
              _v5_up, _v5_down),
    Migration(6, "Postausgang: Nachrichten mit Anhängen, im selben Vorgang wie ihr Anlass geschrieben", _v6_up,
              _v6_down),
    Migration(8, "Erinnerungen und Mahnungen: je Formular, Stufe und Empfänger höchstens einmal (R2, R3)", _v8_up,
              _v8_down),
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
