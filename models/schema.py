"""Schema creation and versioned migrations (playhouse.migrate), used by `init-db`."""
import json
from dataclasses import dataclass
from datetime import date
from typing import Callable

from peewee import (
    BooleanField,
    Check,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    PostgresqlDatabase,
    TextField,
)
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from . import (
    ALL_MODELS,
    DECISION_KINDS,
    AuditEntry,
    Correspondent,
    Evidence,
    Invoice,
    LedgerEntry,
    MoneyField,
    Municipality,
    OutboxAttachment,
    OutboxMessage,
    Reminder,
    RunPayee,
    SampleItem,
    SchemaVersion,
    Setting,
    User,
    db,
)
from .invoice import STORED_INVOICE_STATES, invoice_status_check

_V8_INVOICE_STATES = ("open", "paid")


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


_V7_ORIGIN = "Migration 7: aus municipality.correspondent_email übernommen"
_V7_NAME = "Korrespondenzperson (aus Stammdaten übernommen)"  # the old column held an address, no name
_V7_START = date(2017, 1, 1)  # KRS-GEF-2017/01 in force; the old column had no date


def _v7_up():
    """§4.5.1: one home for the correspondent; the old address becomes a dated row, then the column goes."""
    db.create_tables([Correspondent], safe=True)
    rows = db.execute_sql("SELECT id, correspondent_email, valid_from FROM municipality "
                          "WHERE correspondent_email IS NOT NULL AND TRIM(correspondent_email) <> ''").fetchall()
    for municipality_id, email, valid_from in rows:
        correspondent = Correspondent.create(municipality=municipality_id, name=_V7_NAME, email=email.strip(),
                                             valid_from=valid_from or _V7_START)
        AuditEntry.create(actor="cli:init-db", action="create", model="Correspondent",
                          record_id=str(correspondent.id), reason=_V7_ORIGIN,
                          after=json.dumps({"municipality": municipality_id, "email": email.strip()}))
    migrate(_migrator().drop_column("municipality", "correspondent_email"))


def _v7_down():
    """Back to one address column: the correspondent valid today, else the latest one."""
    migrate(_migrator().add_column("municipality", "correspondent_email", TextField(null=True)))
    today = date.today()
    latest: dict[int, Correspondent] = {}
    for row in Correspondent.select().order_by(Correspondent.valid_from):
        if row.covers(today) or not (row.municipality_id in latest and latest[row.municipality_id].covers(today)):
            latest[row.municipality_id] = row
    for municipality_id, row in latest.items():
        param = db.obj.param
        db.execute_sql(f"UPDATE municipality SET correspondent_email = {param} WHERE id = {param}",
                       (row.email, municipality_id))
    db.drop_tables([Correspondent])


class _InvoiceV8(Invoice):
    """The invoice table as migrations 1–8 left it (open/paid, no payer, no cancellation): the target of v9 down."""

    paid_by = paid_recorded_at = cancelled_on = cancelled_by = cancelled_reason = None
    status = TextField(default="open", constraints=[Check(invoice_status_check(_V8_INVOICE_STATES))])

    class Meta:
        table_name = "invoice"


def _rebuild_sqlite(model) -> None:
    """SQLite alters neither a CHECK nor a column with a foreign key: rebuild the table as `model` defines it,
    rows and indexes included (the old indexes are dropped first, as their names are the new ones')."""
    table = model._meta.table_name
    for (name,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? "
                                  "AND sql IS NOT NULL", (table,)).fetchall():
        db.execute_sql(f'DROP INDEX "{name}"')
    old = {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}
    db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_rebuild"')
    model.create_table(safe=False)
    columns = ", ".join(f'"{field.column_name}"' for field in model._meta.sorted_fields if field.column_name in old)
    db.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{table}_rebuild"')
    db.execute_sql(f'DROP TABLE "{table}_rebuild"')


def _set_invoice_states(states) -> None:
    db.execute_sql("ALTER TABLE invoice DROP CONSTRAINT IF EXISTS invoice_status_check")
    db.execute_sql(f"ALTER TABLE invoice ADD CONSTRAINT invoice_status_check CHECK ({invoice_status_check(states)})")


_V9_INVOICE_COLUMNS = [
    ("paid_by_id", lambda: ForeignKeyField(User, null=True, field=User.id, on_delete="RESTRICT")),
    ("paid_recorded_at", lambda: DateTimeField(null=True)),
    ("cancelled_on", lambda: DateField(null=True)),
    ("cancelled_by_id", lambda: ForeignKeyField(User, null=True, field=User.id, on_delete="RESTRICT")),
    ("cancelled_reason", lambda: TextField(null=True)),
]
_V9_MUNICIPALITY_COLUMNS = [("street", lambda: TextField(null=True)), ("postcode", lambda: TextField(null=True))]


def _v9_up():
    migrator = _migrator()
    migrate(*[migrator.add_column("municipality", column, make()) for column, make in _V9_MUNICIPALITY_COLUMNS])
    if isinstance(db.obj, PostgresqlDatabase):
        migrate(*[migrator.add_column("invoice", column, make()) for column, make in _V9_INVOICE_COLUMNS])
        _set_invoice_states(STORED_INVOICE_STATES)
    else:
        _rebuild_sqlite(Invoice)


def _v9_down():
    if db.execute_sql("SELECT 1 FROM invoice WHERE status = 'cancelled'").fetchone():
        raise RuntimeError("Stornierte Rechnungen vorhanden: Version 9 kann nicht zurückgenommen werden")
    migrator = _migrator()
    if isinstance(db.obj, PostgresqlDatabase):
        _set_invoice_states(_V8_INVOICE_STATES)
        migrate(*[migrator.drop_column("invoice", column) for column, _make in _V9_INVOICE_COLUMNS])
    else:
        _rebuild_sqlite(_InvoiceV8)
    migrate(*[migrator.drop_column("municipality", column) for column, _make in _V9_MUNICIPALITY_COLUMNS])


# Plain ALTER TABLE on both databases: playhouse's SQLite migrator rebuilds a table for NOT NULL columns,
# which the foreign keys pointing at "user" forbid.
_V11_COLUMNS = [
    ("totp_secret", "TEXT"),
    ("totp_enabled_at", "TIMESTAMP"),
    ("totp_last_step", "INTEGER NOT NULL DEFAULT 0"),
    ("recovery_codes_json", "TEXT NOT NULL DEFAULT '[]'"),
    ("demo", "BOOLEAN NOT NULL DEFAULT FALSE"),
]


def _v11_up():
    for column, definition in _V11_COLUMNS:
        db.execute_sql(f'ALTER TABLE "user" ADD COLUMN "{column}" {definition}')
    # sessions opened with the password alone end: the money roles log in again, now with the code
    db.execute_sql('UPDATE "user" SET session_version = session_version + 1 '
                   "WHERE role IN ('admin', 'accountant', 'auditor')")


def _v11_down():
    for column, _definition in reversed(_V11_COLUMNS):
        db.execute_sql(f'ALTER TABLE "user" DROP COLUMN "{column}"')


# v10: the sample (R24) normalised: its drawn reports become `sample_item` rows (with evidence request,
# outcome and proposed clawback), the report_ids JSON and the unused outcome text go.
_V10_ADDED = [
    ("method", lambda: TextField(default="count")),
    ("percent", lambda: IntegerField(null=True)),
    ("stratified", lambda: BooleanField(default=False)),
    ("district", lambda: TextField(null=True)),
    ("population_size", lambda: IntegerField(default=0)),
]
_V10_DROPPED = [
    ("report_ids", lambda: TextField(default="[]")),
    ("outcome", lambda: TextField(default="")),
]


def _v10_up():
    migrator = _migrator()
    migrate(*[migrator.add_column("sample", column, make()) for column, make in _V10_ADDED],
            *[migrator.drop_column("sample", column) for column, _make in _V10_DROPPED])
    db.create_tables([SampleItem, Evidence], safe=True)


def _v10_down():
    db.drop_tables([Evidence, SampleItem])
    migrator = _migrator()
    migrate(*[migrator.drop_column("sample", column) for column, _make in _V10_ADDED],
            *[migrator.add_column("sample", column, make()) for column, make in _V10_DROPPED])


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
    Migration(7, "Korrespondenzpersonen der Gemeinden, datiert (§4.5.1)", _v7_up, _v7_down),
    Migration(8, "Erinnerungen und Mahnungen: je Formular, Stufe und Empfänger höchstens einmal (R2, R3)", _v8_up,
              _v8_down),
    Migration(9, "Rechnungen: bezahlt von, Storno mit Grund; Postadresse der Gemeinde für den QR-Einzahlungsschein",
              _v9_up, _v9_down),
    Migration(10, "Stichproben der Finanzkontrolle: Posten, Belege, Beurteilung, Rückforderungsvorschlag (R24)",
              _v10_up, _v10_down),
    Migration(11, "Zweiter Faktor (TOTP, Wiederherstellungscodes) für Rollen, die Geld bewegen", _v11_up, _v11_down),
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
