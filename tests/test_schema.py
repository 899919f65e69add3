"""init-db: creates or upgrades the schema without losing rows; twice is a no-op; constraints hold."""
from datetime import date
from decimal import Decimal

import pytest
from peewee import DatabaseError, IntegrityError

from models import (
    AuditEntry,
    Correspondent,
    Decision,
    ForeignPopulation,
    FormVersion,
    Municipality,
    OutboxMessage,
    Reminder,
    Report,
    Sample,
    SchemaVersion,
    SelfDeclaration,
    Tariff,
    User,
    db,
)
from models.schema import LATEST, MIGRATIONS, current_version, downgrade_to, upgrade


def _columns(table):
    return {c.name for c in db.get_columns(table)}


def test_init_db_creates_schema_and_reference_data(make_app):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"Version {LATEST}" in result.output
    with app.app_context():
        assert current_version() == LATEST
        assert Tariff.select().count() == 5


def test_init_db_twice_changes_nothing(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    with app.app_context():
        before = (AuditEntry.select().count(), Tariff.select().count(), SchemaVersion.select().count())
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0
    assert "nichts zu tun" in second.output
    with app.app_context():
        after = (AuditEntry.select().count(), Tariff.select().count(), SchemaVersion.select().count())
    assert after == before


def test_init_db_upgrades_previous_schema_version_without_losing_rows(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    with app.app_context():
        downgrade_to(1)
        assert "correspondent_email" not in _columns("municipality")
        assert "issues_json" not in _columns("payout_run")
        db.execute_sql("INSERT INTO municipality (bfs_nr, name, district) VALUES (2601, 'Solothurn', 'Solothurn')")
        muni_id = db.execute_sql("SELECT id FROM municipality WHERE bfs_nr = 2601").fetchone()[0]
        db.execute_sql("INSERT INTO foreign_population (municipality_id, reference_date, count, source) "
                       "VALUES (%s, '2024-12-31', 3512, 'BFS')" % muni_id)
        db.close()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert all(f"Migration {n}" in result.output for n in (2, 3, 4, 5))
    with app.app_context():
        assert current_version() == LATEST
        # migration 7 moved the v2 column into the dated correspondents (§4.5.1)
        assert "correspondent_email" not in _columns("municipality") and "issues_json" in _columns("payout_run")
        muni = Municipality.get(Municipality.bfs_nr == 2601)
        assert muni.name == "Solothurn" and Correspondent.select().count() == 0
        assert ForeignPopulation.get(ForeignPopulation.municipality == muni).count == 3512


def test_migration_4_renames_answers_json_to_values_json_and_keeps_the_answers(app, make_municipality):
    """Report and self-declaration share one values column; the rename keeps every answer, up and down."""
    answers = {"officer_name": "Muster Müller", "course_attendance": True}
    declaration = SelfDeclaration(municipality=make_municipality(), year=2024,
                                  form_version=FormVersion.valid_on("self_declaration", date(2024, 1, 1)))
    declaration.values = answers
    declaration.save()
    downgrade_to(3)
    assert "answers_json" in _columns("self_declaration") and "values_json" not in _columns("self_declaration")
    stored = db.execute_sql(f"SELECT answers_json FROM self_declaration WHERE id = {declaration.id}").fetchone()[0]
    assert stored == SelfDeclaration.encode(answers)
    assert upgrade() == [f"Migration {m.version}: {m.description}" for m in MIGRATIONS[3:]]
    assert "values_json" in _columns("self_declaration") and "answers_json" not in _columns("self_declaration")
    assert SelfDeclaration.get_by_id(declaration.id).values == answers
    assert current_version() == LATEST


def test_migration_7_moves_correspondent_email_into_dated_rows_and_back(app, make_municipality):
    """§4.5.1: the old address column becomes a correspondent row (history from then on); down restores it."""
    with_address, without = make_municipality(bfs_nr=2601), make_municipality(bfs_nr=2546)
    downgrade_to(6)
    assert "correspondent_email" in _columns("municipality") and not Correspondent.table_exists()
    db.execute_sql(f"UPDATE municipality SET correspondent_email = ' kora@solothurn.ch ' WHERE id = {with_address.id}")
    assert upgrade() == [f"Migration {m.version}: {m.description}" for m in MIGRATIONS if m.version > 6]
    assert "correspondent_email" not in _columns("municipality")
    moved = Correspondent.get()
    assert (moved.municipality_id, moved.email, moved.valid_from, moved.valid_to) == (
        with_address.id, "kora@solothurn.ch", date(2017, 1, 1), None)
    assert Correspondent.select().where(Correspondent.municipality == without.id).count() == 0
    assert AuditEntry.select().where(AuditEntry.model == "Correspondent", AuditEntry.action == "create").count() == 1
    Correspondent.update(valid_to=date(2024, 12, 31)).execute()
    Correspondent.create(municipality=with_address, name="Neu", email="neu@solothurn.ch", valid_from=date(2025, 1, 1))
    downgrade_to(6)
    stored = db.execute_sql(f"SELECT correspondent_email FROM municipality WHERE id = {with_address.id}").fetchone()
    assert stored[0] == "neu@solothurn.ch"  # the one valid today
    upgrade()
    assert [c.email for c in Correspondent.select()] == ["neu@solothurn.ch"]


def test_bfs_number_is_unique_in_the_database(app, make_municipality):
    make_municipality(bfs_nr=2601)
    with pytest.raises(IntegrityError), db.atomic():
        Municipality.create(bfs_nr=2601, name="Doppelt", district="Solothurn")


def test_population_count_cannot_be_negative_in_the_database(app, make_municipality):
    muni = make_municipality()
    with pytest.raises(IntegrityError), db.atomic():
        ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=-1)


def test_population_is_unique_per_municipality_and_date(app, make_municipality):
    muni = make_municipality()
    ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=5)
    with pytest.raises(IntegrityError), db.atomic():
        ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=6)


def test_report_is_unique_per_municipality_year_and_half(app, make_municipality):
    from models import FormVersion

    muni = make_municipality()
    version = FormVersion.valid_on("report", date(2024, 1, 1))
    Report.create(municipality=muni, year=2024, half=1, form_version=version)
    with pytest.raises(IntegrityError), db.atomic():
        Report.create(municipality=muni, year=2024, half=1, form_version=version)
    with pytest.raises(IntegrityError), db.atomic():
        Report.create(municipality=muni, year=2024, half=3, form_version=version)


def test_foreign_keys_are_enforced(app):
    with pytest.raises(IntegrityError), db.atomic():
        ForeignPopulation.create(municipality=999999, reference_date=date(2024, 12, 31), count=1)


def test_negative_tariff_is_refused_by_the_database(app):
    with pytest.raises(IntegrityError), db.atomic():
        Tariff.create(kind="fee_first_info", amount=-1, valid_from=date(2030, 1, 1), reference="x")


def test_unknown_role_is_refused_by_the_database(app):
    with pytest.raises(IntegrityError), db.atomic():
        User.create(email="x@test.so.ch", role="superuser")


def test_r23_audit_log_cannot_be_changed_or_deleted(app):
    entry = AuditEntry.create(actor="cli:test", action="create", model="X")
    with pytest.raises(DatabaseError), db.atomic():
        AuditEntry.update(actor="someone else").where(AuditEntry.id == entry.id).execute()
    with pytest.raises(DatabaseError), db.atomic():
        AuditEntry.delete().where(AuditEntry.id == entry.id).execute()
    assert AuditEntry.get_by_id(entry.id).actor == "cli:test"


def test_sqlite_connection_uses_wal_and_full_sync(app):
    if not db.obj.__class__.__name__.startswith("Sqlite"):
        pytest.skip("SQLite-Pragmas gelten nur für SQLite")
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2


def test_upgrade_refuses_tables_without_schema_version(app):
    db.drop_tables([SchemaVersion])
    with pytest.raises(RuntimeError, match="Schema-Version"):
        upgrade()


def test_migration_5_adds_ledger_and_widens_decision_kinds_without_losing_rows(make_app, make_municipality,
                                                                                 make_user):
    """Issue 13: v5 adds the ledger, settings, frozen bank data and refusal columns; old decisions survive."""
    app = make_app()
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    with app.app_context():
        muni = make_municipality(bfs_nr=2601)
        admin = make_user("admin")
        downgrade_to(4)
        assert "ledger_entry" not in db.get_tables() and "component" not in _columns("decision")
        db.execute_sql("INSERT INTO decision (kind, municipality_id, reason, decided_on, decided_by_id, created_at) "
                       "VALUES ('pay_late_report', %s, 'Frist verlängert', '2026-02-01', %s, '2026-02-01')"
                       % (muni.id, admin.id))
        with pytest.raises(IntegrityError), db.atomic():
            db.execute_sql("INSERT INTO decision (kind, municipality_id, reason, decided_on, decided_by_id, "
                           "created_at) VALUES ('pay_after_close', %s, 'x', '2026-02-01', %s, '2026-02-01')"
                           % (muni.id, admin.id))
        db.close()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Migration 5" in result.output
    with app.app_context():
        assert {"ledger_entry", "setting", "run_payee"} <= set(db.get_tables())
        assert {"component", "period"} <= _columns("decision")
        assert {"ledger_quantity", "ledger_amount", "revision"} <= _columns("payout_line")
        assert {"closed_at", "closed_by", "surplus"} <= _columns("budget")
        assert [d.reason for d in Decision.select()] == ["Frist verlängert"]
        Decision.create(kind="pay_after_close", municipality=muni, reason="bewilligt", decided_on=date(2026, 3, 1),
                        decided_by=admin, component="fees", period="2025-H2")
        with pytest.raises(IntegrityError), db.atomic():
            Decision.create(kind="unknown", municipality=muni, reason="x", decided_on=date(2026, 3, 1),
                            decided_by=admin)


def test_migration_9_invoice_register_columns_up_and_down_keep_the_invoices(app, make_municipality, make_user):
    """Issue 16: cancelled status (CHECK widened, SQLite rebuilds the table with its indexes), payer, cancellation,
    the municipality's postal address; down refuses while a cancelled invoice exists."""
    from models import Clawback, Invoice, PayoutRun

    muni = make_municipality(postcode="2540")
    admin = make_user("admin")
    clawback = Clawback.create(municipality=muni, amount=Decimal("5.00"), reason="x", decided_on=date(2026, 1, 1),
                               decided_by=admin)
    run = PayoutRun.create(payout_date=date(2026, 3, 31), prepared_by=admin)
    Invoice.create(number="RE-2026-0001", municipality=muni, clawback=clawback, run=run, amount=Decimal("5.00"),
                   invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    downgrade_to(6)
    assert "cancelled_reason" not in _columns("invoice") and "postcode" not in _columns("municipality")
    with pytest.raises(IntegrityError), db.atomic():
        db.execute_sql("UPDATE invoice SET status = 'cancelled'")
    assert upgrade() == [f"Migration {m.version}: {m.description}" for m in MIGRATIONS if m.version > 6]
    invoice = Invoice.get()
    assert (invoice.number, invoice.amount, invoice.status) == ("RE-2026-0001", Decimal("5.00"), "open")
    with pytest.raises(IntegrityError), db.atomic():  # the unique index survived the rebuild
        Invoice.create(number="RE-2026-0001", municipality=muni, clawback=clawback, run=run, amount=Decimal("1.00"),
                       invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    with pytest.raises(IntegrityError), db.atomic():
        db.execute_sql("UPDATE invoice SET status = 'storniert'")
    Invoice.update(status="cancelled", cancelled_reason="Erlass").execute()
    with pytest.raises(RuntimeError, match="Stornierte Rechnungen"):
        downgrade_to(6)
    assert current_version() == LATEST


def test_migration_10_normalises_the_sample_and_keeps_old_samples(make_app, make_user):
    """R24: v10 adds the sample's method, stratification and population size, and the item and evidence tables."""
    app = make_app()
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    with app.app_context():
        auditor = make_user("auditor")
        downgrade_to(6)
        assert {"sample_item", "evidence"}.isdisjoint(db.get_tables())
        assert {"report_ids", "outcome"} <= _columns("sample") and "population_size" not in _columns("sample")
        db.execute_sql("INSERT INTO sample (drawn_at, drawn_by_id, year, seed, size, report_ids, outcome) "
                       "VALUES ('2025-05-01', %s, 2024, '42', 0, '[]', '')" % auditor.id)
        db.close()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Migration 10" in result.output
    with app.app_context():
        assert current_version() == LATEST
        assert {"sample_item", "evidence"} <= set(db.get_tables())
        assert {"method", "percent", "stratified", "district", "population_size"} <= _columns("sample")
        assert {"report_ids", "outcome"}.isdisjoint(_columns("sample"))
        old = Sample.get()
        assert (old.seed, old.year, old.method, old.stratified) == ("42", 2024, "count", False)


def test_migration_8_adds_the_reminder_table_and_its_once_only_key(app, make_municipality):
    """Issue 15: v8 creates `reminder` (down drops it); one item × stage × recipient at most once, in the database."""
    downgrade_to(6)
    assert "reminder" not in db.get_tables()
    assert upgrade() == [f"Migration {m.version}: {m.description}" for m in MIGRATIONS if m.version > 6]
    assert "reminder" in db.get_tables() and current_version() == LATEST
    muni = make_municipality()
    message = OutboxMessage.create(kind="reminder_due", dedupe_key="k", subject="s", body="b")
    row = dict(municipality=muni, item_kind="report", year=2026, half=1, stage="due", recipient_key="user:1",
               message=message, deadline=date(2026, 7, 31), sent_on=date(2026, 7, 17))
    Reminder.create(**row)
    with pytest.raises(IntegrityError), db.atomic():
        Reminder.create(**{**row, "sent_on": date(2026, 7, 18)})
    Reminder.create(**{**row, "stage": "overdue"})
    with pytest.raises(IntegrityError), db.atomic():
        Reminder.create(**{**row, "stage": "later"})
