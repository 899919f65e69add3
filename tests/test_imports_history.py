"""Import kinds officers, contracts, reports and self-declarations (issue 3): good, bad, idempotent."""
from datetime import date

import pytest

from models import AuditEntry, Contract, ContractMember, OfficerAssignment, Report, SelfDeclaration, User
from services.audit import Actor
from services.imports import run_import

ACTOR = Actor.cli("test")


def _import(kind, content):
    return run_import(kind, "x.csv", content.encode("utf-8"), ACTOR)


@pytest.fixture
def municipalities(make_municipality):
    return {bfs: make_municipality(bfs_nr=bfs, name=f"G{bfs}") for bfs in (2541, 2545, 2547, 2548, 2601)}


def test_officers_import_creates_users_without_password_and_assignments(app, client, municipalities):
    result = _import("officers", "email,name,bfs_nr,valid_from\nIB@Gemeinde.ch,Ida Berger,2601,01.01.2024\n")
    assert result.ok and result.created == 1, result.errors
    user = User.get(User.email == "ib@gemeinde.ch")
    assert user.role == "officer" and user.password_hash is None
    assignment = OfficerAssignment.get(OfficerAssignment.user == user)
    assert assignment.municipality.bfs_nr == 2601 and assignment.valid_from == date(2024, 1, 1)
    response = client.post("/login", data={"email": "ib@gemeinde.ch", "password": ""})
    assert response.status_code == 200  # no usable password: no login


def test_officers_reimport_is_idempotent_and_updates_end_date(app, municipalities):
    content = "email,name,bfs_nr,valid_from\nib@g.ch,Ida,2601,2024-01-01\n"
    _import("officers", content)
    again = _import("officers", content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    ended = _import("officers", "email,name,bfs_nr,valid_from,valid_to\nib@g.ch,Ida,2601,2024-01-01,2025-12-31\n")
    assert ended.updated == 1 and OfficerAssignment.get().valid_to == date(2025, 12, 31)
    assert User.select().count() == 1 and OfficerAssignment.select().count() == 1


@pytest.mark.parametrize("content, message", [
    ("email,name,bfs_nr,valid_from\nib@g.ch,Ida,9999,2024-01-01\n", "unbekannte BFS"),
    ("email,name,bfs_nr,valid_from\nkeine-adresse,Ida,2601,2024-01-01\n", "keine gültige E-Mail"),
    ("email,name,bfs_nr,valid_from\nadmin@g.ch,Ida,2601,2024-01-01\n", "bereits die Rolle"),
    ("email,name,bfs_nr,valid_from,valid_to\nib@g.ch,Ida,2601,2024-01-01,2023-01-01\n", "vor dem Beginn"),
])
def test_bad_officer_rows_are_refused(app, municipalities, make_user, content, message):
    make_user(role="admin", email="admin@g.ch")
    result = _import("officers", content)
    assert not result.ok and any(n == 2 and message in m for n, m in result.errors), result.errors
    assert OfficerAssignment.select().count() == 0


def test_contracts_import_groups_rows_by_lead(app, municipalities):
    result = _import("contracts", "lead_bfs,member_bfs,valid_from,payee\n"
                                  "2548,2545,2024-01-01,member\n2548,2547,2024-01-01,member\n")
    assert result.ok and result.created == 2, result.errors
    contract = Contract.get()
    assert contract.lead.bfs_nr == 2548 and contract.payee == "member"
    assert {m.municipality.bfs_nr for m in contract.members} == {2545, 2547}
    again = _import("contracts", "lead_bfs,member_bfs,valid_from,payee\n"
                                 "2548,2545,2024-01-01,member\n2548,2547,2024-01-01,member\n")
    assert again.unchanged == 2 and ContractMember.select().count() == 2 and Contract.select().count() == 1


@pytest.mark.parametrize("content, line, message", [
    ("lead_bfs,member_bfs,valid_from\n2548,2545,2024-01-01\n2601,2545,2025-01-01\n", 3, "zu zwei Verträgen"),
    ("lead_bfs,member_bfs,valid_from\n2548,2545,2024-01-01\n2601,2548,2024-01-01\n", 3, "zu zwei Verträgen"),
    ("lead_bfs,member_bfs,valid_from\n2548,2548,2024-01-01\n", 2, "nicht Mitglied ihres eigenen"),
    ("lead_bfs,member_bfs,valid_from,payee\n2548,2545,2024-01-01,sozialregion\n", 2, "lead oder member"),
    ("lead_bfs,member_bfs,valid_from\n2548,4242,2024-01-01\n", 2, "unbekannte BFS"),
])
def test_r12_contract_rules_are_enforced_on_import(app, municipalities, content, line, message):
    result = _import("contracts", content)
    assert not result.ok and any(n == line and message in m for n, m in result.errors), result.errors
    assert Contract.select().count() == 0 and ContractMember.select().count() == 0


def test_contracts_that_follow_each_other_are_accepted(app, municipalities):
    result = _import("contracts", "lead_bfs,member_bfs,valid_from,valid_to\n2548,2545,2020-01-01,2023-12-31\n"
                                  "2601,2545,2024-01-01,\n")
    assert result.ok, result.errors


REPORT_HEADER = ("bfs_nr,year,half,first_info_interviews,first_info_interpreter,integration_interviews,"
                 "integration_interpreter,submitted_on\n")


def test_historical_reports_are_imported_as_accepted_with_their_form_version(app, municipalities):
    result = _import("reports", REPORT_HEADER + "2601,2021,2,8,3,0,0,2022-01-20\n2601,2023,1,5,1,2,1,2023-08-15\n")
    assert result.ok and result.created == 2, result.errors
    old = Report.get(Report.year == 2021)
    assert old.status == "accepted" and old.form_version.valid_from == date(2018, 7, 1)  # R18: 2018-07 version
    assert "integration_interviews" not in old.values and old.count("first_info_interviews") == 8
    assert not old.late
    new = Report.get(Report.year == 2023)
    assert new.form_version.valid_from == date(2022, 1, 1) and new.count("integration_interviews") == 2
    assert new.late  # R2: H1 2023 was due 31.07.2023
    assert _import("reports", REPORT_HEADER + "2601,2021,2,8,3,0,0,2022-01-20\n").unchanged == 1


@pytest.mark.parametrize("row, message", [
    ("2601,2020,1,5,1,2,0,", "erst ab 2022"),
    ("2601,2023,1,-1,0,0,0,", "kleiner als 0"),
    ("2601,2023,1,1.5,0,0,0,", "keine ganze Zahl"),
    ("2601,2023,1,100001,0,0,0,", "unplausibel"),
    ("2601,2023,3,1,0,0,0,", "half"),
    ("2601,2099,1,1,0,0,0,", "noch nicht abgeschlossen"),
    ("2601,2023,1,1,0,0,0,31.02.2023", "kein gültiges Datum"),
])
def test_bad_report_rows_are_refused(app, municipalities, row, message):
    result = _import("reports", REPORT_HEADER + row + "\n")
    assert not result.ok and any(message in m for _, m in result.errors), result.errors
    assert Report.select().count() == 0


def test_report_import_never_overwrites_a_report_in_the_portal(app, municipalities, make_user):
    from models import FormVersion

    Report.create(municipality=municipalities[2601], year=2023, half=1, status="submitted",
                  form_version=FormVersion.valid_on("report", date(2023, 1, 1)))
    result = _import("reports", REPORT_HEADER + "2601,2023,1,5,1,2,1,\n")
    assert not result.ok and "überschreibt es nicht" in result.errors[0][1]


def test_self_declarations_import_with_late_flag(app, municipalities):
    result = _import("self-declarations", "bfs_nr,year,submitted_on\n2601,2024,20.01.2024\n2548,2024,15.02.2024\n")
    assert result.ok and result.created == 2
    late = {d.municipality.bfs_nr: d.late for d in SelfDeclaration.select()}
    assert late == {2601: False, 2548: True}  # R3: due 31.01.Y
    assert all(d.status == "accepted" for d in SelfDeclaration.select())
    assert _import("self-declarations", "bfs_nr,year,submitted_on\n2601,2024,20.01.2024\n").unchanged == 1


def test_every_imported_row_is_audited_with_the_import_reason(app, municipalities):
    before = AuditEntry.select().count()
    _import("self-declarations", "bfs_nr,year\n2601,2024\n2548,2024\n")
    entries = AuditEntry.select().where(AuditEntry.model == "SelfDeclaration")
    assert AuditEntry.select().count() == before + 2 and {e.reason for e in entries} == {"Import"}
