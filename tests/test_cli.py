"""CLI: users create / set-password; bad input exits non-zero and writes nothing."""
from datetime import date

import pytest

from models import AuditEntry, OfficerAssignment, User
from services.settings import canton_settings
from tests.conftest import PASSWORD


def test_users_create_reads_password_from_stdin_and_audits(runner, make_municipality, client):
    make_municipality(bfs_nr=2601, name="Solothurn")
    result = runner.invoke(args=["users", "create", "IB@Solothurn.ch", "--role", "officer",
                                 "--municipality", "2601", "--name", "Ida Beispiel"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = User.get(User.email == "ib@solothurn.ch")
    assignment = OfficerAssignment.get(OfficerAssignment.user == user)
    assert assignment.municipality.bfs_nr == 2601 and assignment.valid_from == date.today()
    assert AuditEntry.select().where((AuditEntry.model == "User") & (AuditEntry.actor == "cli:cli")).count() == 1
    assert "***" in AuditEntry.get(AuditEntry.model == "User").after
    assert client.post("/login", data={"email": "ib@solothurn.ch", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("args, password, message", [
    (["x@test.so.ch", "--role", "boss"], PASSWORD, "Unbekannte Rolle"),
    (["x@test.so.ch", "--role", "officer", "--municipality", "9999"], PASSWORD, "Unbekannte BFS-Nummer"),
    (["x@test.so.ch", "--role", "officer"], PASSWORD, "brauchen eine Gemeinde"),
    (["x@test.so.ch", "--role", "admin"], "kurz", "mindestens 12 Zeichen"),
    (["x@test.so.ch", "--role", "admin"], "password1234", "zu verbreitet"),
    (["x@test.so.ch", "--role", "admin"], "solothurn2026", "Anwendungsnamen"),
    (["kein-mail", "--role", "admin"], PASSWORD, "gültige E-Mail"),
])
def test_users_create_refuses_bad_input_and_writes_nothing(runner, args, password, message):
    before = (User.select().count(), AuditEntry.select().count())
    result = runner.invoke(args=["users", "create", *args], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert (User.select().count(), AuditEntry.select().count()) == before


def test_users_create_refuses_duplicate_email(runner, make_user):
    existing = make_user(role="admin")
    result = runner.invoke(args=["users", "create", existing.email, "--role", "auditor"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "bereits" in result.output
    assert User.select().where(User.email == existing.email).count() == 1


def test_password_equal_to_email_local_part_is_refused(runner):
    result = runner.invoke(args=["users", "create", "sachbearbeiterin@test.so.ch", "--role", "admin"],
                           input="sachbearbeiterin\n")
    assert result.exit_code != 0


def test_set_password_ends_existing_sessions(app, runner, client, auth):
    user = auth.login("accountant")
    assert client.get("/").status_code == 200
    result = runner.invoke(args=["users", "set-password", user.email], input="Neues-Passwort-fuer-Beat-7\n")
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": user.email, "password": "Neues-Passwort-fuer-Beat-7"}).status_code == 302


def test_set_password_for_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "set-password", "nobody@test.so.ch"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "Unbekannter Benutzer" in result.output


def test_settings_set_validates_and_audits_the_canton_account(runner):
    assert runner.invoke(args=["settings", "set", "canton.iban", "CH00 0000"]).exit_code != 0
    assert runner.invoke(args=["settings", "set", "canton.unknown", "x"]).exit_code != 0
    result = runner.invoke(args=["settings", "set", "canton.iban", "CH56 0483 5012 3456 7800 9"])
    assert result.exit_code == 0, result.output
    assert canton_settings()["canton.iban"] == "CH5604835012345678009"
    assert AuditEntry.select().where(AuditEntry.model == "Setting").count() == 1
    assert "CH5604835012345678009" in runner.invoke(args=["settings", "show"]).output
