"""R5, R18, R21: the reference data loaded by init-db."""
from datetime import date
from decimal import Decimal

from models import FormField, FormVersion, Tariff
from services.audit import Actor
from services.reference_data import load_reference_data


def test_r5_tariff_history_matches_the_circular(app):
    rows = {(t.kind, t.valid_from): (t.amount, t.valid_to) for t in Tariff.select()}
    assert rows == {
        ("fee_first_info", date(2017, 1, 1)): (Decimal("200.00"), None),
        ("fee_interpreter_first_info", date(2018, 7, 1)): (Decimal("160.00"), None),
        ("base_per_foreign_resident", date(2018, 1, 1)): (Decimal("7.00"), None),
        ("fee_integration", date(2022, 1, 1)): (Decimal("200.00"), None),
        ("fee_interpreter_integration", date(2022, 1, 1)): (Decimal("160.00"), None),
    }


def test_r5_interpreter_rate_before_july_2018_is_not_invented(app):
    early = Tariff.select().where((Tariff.kind == "fee_interpreter_first_info")
                                  & (Tariff.valid_from < date(2018, 7, 1)))
    assert not early.exists()


def test_r5_every_tariff_carries_its_legal_reference(app):
    assert all("KRS-GEF-2017/01" in t.reference for t in Tariff.select())


def test_r6_report_form_before_2018_07_does_not_ask_for_interpreter_assignments(app):
    """Issue 13: no interpreter rate before 01.07.2018, so the form of that time has no such field."""
    before = {f.key for f in FormVersion.valid_on("report", date(2018, 1, 1)).fields}
    after = {f.key for f in FormVersion.valid_on("report", date(2018, 7, 1)).fields}
    assert "first_info_interviews" in before and "first_info_interpreter" not in before
    assert "first_info_interpreter" in after


def test_r6_seeded_tariffs_start_on_a_half_year(app):
    assert all((t.valid_from.month, t.valid_from.day) in ((1, 1), (7, 1)) for t in Tariff.select())


def test_r18_report_form_switches_on_2022_01_01(app):
    old = FormVersion.valid_on("report", date(2021, 12, 31))
    new = FormVersion.valid_on("report", date(2022, 1, 1))
    old_keys = {f.key for f in old.fields}
    new_keys = {f.key for f in new.fields}
    assert {"first_info_interviews", "first_info_interpreter"} <= old_keys
    assert not old_keys & {"integration_interviews", "integration_interpreter"}
    assert {"integration_interviews", "integration_interpreter", "first_info_interviews"} <= new_keys
    assert old.valid_to == date(2021, 12, 31) and new.valid_to is None


def test_r18_count_fields_are_whole_numbers_with_bounds(app):
    counts = FormField.select().where(FormField.key.endswith("_interviews") | FormField.key.endswith("_interpreter"))
    assert counts.count() == 7  # 2017: 1, 2018-07: 2, 2022: 4
    assert all(f.field_type == "integer" and f.min_value == 0 and f.required for f in counts)


def test_r21_self_declaration_asks_six_tasks_officer_and_attendance(app):
    version = FormVersion.valid_on("self_declaration", date(2026, 1, 31))
    fields = {f.key: f for f in version.fields}
    tasks = [f for f in fields.values() if f.key.startswith("task_") and not f.key.endswith("_comment")]
    assert len(tasks) == 6
    assert all([v for v, _ in f.choice_pairs()] == ["fulfilled", "partly", "not"] for f in tasks)
    assert all(f"{f.key}_comment" in fields for f in tasks)
    assert {"officer_name", "course_attendance", "network_meeting_attendance"} <= set(fields)


def test_reference_data_load_is_idempotent(app):
    assert load_reference_data(Actor.cli("test")) == []
    assert Tariff.select().count() == 5 and FormVersion.select().count() == 4
