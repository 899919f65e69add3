"""Issue 15: reminders before and after the deadlines (R2, R3), to the responsible officers only (R12).

Go-live 31.03.2026: the system follows up H2 2025 (deadline 31.01.2026) and Selbstdeklaration 2026 on. The
tests settle those and look at H1 2026 (deadline 31.07.2026): due from 17.07. (14 days), overdue from 01.08.
"""
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import StartupError, build_config
from core.calendar import HalfYear
from models import (
    AuditEntry,
    Contract,
    Correspondent,
    ContractMember,
    FormVersion,
    OutboxMessage,
    Reminder,
    Report,
    SelfDeclaration,
    Status,
    db,
)
from services import reminders
from services.audit import Actor
from services.errors import DomainError
from services.outbox import recipients_of

H1_2026 = HalfYear(2026, 1)
ACTOR = Actor.cli("test")


def _report(muni, period, status=Status.ACCEPTED):
    return Report.create(municipality=muni, year=period.year, half=period.half, status=status,
                         form_version=FormVersion.valid_on("report", period.start))


def _settle(*munis):
    """Everything before H1 2026 is filed, so only H1 2026 and later are open."""
    for muni in munis:
        _report(muni, HalfYear(2025, 2))
        SelfDeclaration.create(municipality=muni, year=2026, status=Status.ACCEPTED,
                               form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))


@pytest.fixture
def canton(app, go_live, make_municipality, make_user, make_contract):
    """Hubersdorf leads a contract with Flumenthal and Günsberg; Solothurn has its own officer; Balm has none."""
    go_live(date(2026, 3, 31))
    lead = make_municipality(bfs_nr=2545, name="Hubersdorf")
    members = [make_municipality(bfs_nr=2547, name="Flumenthal"), make_municipality(bfs_nr=2548, name="Günsberg")]
    solothurn = make_municipality(bfs_nr=2601, name="Solothurn")
    balm = make_municipality(bfs_nr=2541, name="Balm bei Günsberg")
    make_contract(lead, members, valid_from=date(2024, 1, 1))
    lead_officer = make_user("officer", municipality=lead, name="Lea Leitgemeinde", email="ib@hubersdorf.ch")
    own_officer = make_user("officer", municipality=solothurn, name="Sol Stadt", email="ib@solothurn.ch")
    _settle(lead, *members, solothurn, balm)
    return {"lead": lead, "members": members, "solothurn": solothurn, "balm": balm,
            "lead_officer": lead_officer, "own_officer": own_officer}


def _send(runner, day: date, *extra):
    result = runner.invoke(args=["reminders", "send", "--today", day.isoformat(), *extra])
    return result


def _messages(kind=None):
    query = OutboxMessage.select().where(OutboxMessage.kind.in_(["reminder_due", "reminder_overdue"]))
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(query.order_by(OutboxMessage.id))


def _to(message) -> list[str]:
    return [address for _name, address in recipients_of(message)]


def test_r2_before_the_deadline_due_after_it_overdue_each_once(runner, canton):
    """R2: nothing 21 days before, `due` from 14 days before, `overdue` after the deadline; a run twice is silent."""
    assert _send(runner, date(2026, 7, 10)).exit_code == 0
    assert _messages() == []
    first = _send(runner, date(2026, 7, 17))
    assert first.exit_code == 0, first.output
    due = _messages("reminder_due")
    assert {tuple(_to(m)) for m in due} == {("ib@hubersdorf.ch",), ("ib@solothurn.ch",), ()}
    assert all("Reporting 1. Halbjahr 2026" in m.body and "fällig am 31.07.2026" in m.body for m in due)
    again = _send(runner, date(2026, 7, 17))
    assert again.exit_code == 0 and "nichts Neues" in again.output
    assert _send(runner, date(2026, 7, 30)).exit_code == 0
    assert len(_messages()) == 3
    overdue_run = _send(runner, date(2026, 8, 1))
    assert overdue_run.exit_code == 0, overdue_run.output
    overdue = _messages("reminder_overdue")
    assert len(overdue) == 3 and all("überfällig seit 31.07.2026 (1 Tag)" in m.body for m in overdue)
    assert all(m.subject.startswith("Mahnung") for m in overdue)
    for later in (date(2026, 8, 1), date(2026, 8, 2), date(2026, 12, 1)):
        assert _send(runner, later).exit_code == 0
    assert len(_messages()) == 6
    # one record per item × stage × recipient: 5 municipalities' H1 2026 at two stages
    assert Reminder.select().count() == 2 * 5
    assert {(r.stage, r.sent_on) for r in Reminder.select()} == {("due", date(2026, 7, 17)),
                                                                  ("overdue", date(2026, 8, 1))}


def test_r12_one_mail_per_officer_covers_the_contract_members_and_nothing_else(runner, canton):
    """R12: the lead's officer gets one mail listing the lead and its members; Solothurn's officer only Solothurn."""
    _send(runner, date(2026, 8, 1))
    lead_mail = [m for m in _messages() if _to(m) == ["ib@hubersdorf.ch"]]
    own_mail = [m for m in _messages() if _to(m) == ["ib@solothurn.ch"]]
    assert len(lead_mail) == 1 and len(own_mail) == 1
    body = lead_mail[0].body
    assert all(name in body for name in ("Hubersdorf (BFS 2545)", "Flumenthal (BFS 2547)", "Günsberg (BFS 2548)"))
    assert "Solothurn" not in body and "Balm" not in body
    assert "Solothurn (BFS 2601)" in own_mail[0].body
    assert not any(name in own_mail[0].body for name in ("Hubersdorf", "Flumenthal", "Günsberg", "Balm"))
    assert lead_mail[0].body.startswith("Guten Tag Lea Leitgemeinde")
    assert f"/gemeinden/{canton['members'][0].id}/reporting/2026/1" in body
    assert own_mail[0].municipality_id == canton["solothurn"].id and lead_mail[0].municipality_id is None


def test_municipality_without_officer_is_kept_as_no_address_and_listed(runner, canton, client, auth):
    """Not skipped silently: Balm's reminder waits as "keine Adresse"; the Fristen page says "keine zuständige Person"."""
    result = _send(runner, date(2026, 8, 1))
    assert "Ohne zuständige Person" in result.output and "Balm bei Günsberg" in result.output
    balm = [m for m in _messages() if m.municipality_id == canton["balm"].id]
    assert len(balm) == 1 and balm[0].status == "no_address" and balm[0].last_error == "keine Adresse"
    assert "keine Integrationsbeauftragte Person" in balm[0].body
    assert "auch keine Korrespondenzperson" in balm[0].body
    auth.login(role="admin")
    page = client.get("/admin/fristen/").get_data(as_text=True)
    section = page[page.index('id="deadlines-2541"'):]
    section = section[:section.index("</section>")]
    assert "keine zuständige Person" in section and "01.08.2026" in section and "keine Adresse" in section


def test_municipality_without_officer_writes_to_its_correspondent(runner, canton):
    """§4.5.1: with a Korrespondenzperson the reminder goes there instead."""
    Correspondent.create(municipality=canton["balm"], name="Gemeindeschreiberin", email="gemeinde@balm.ch",
                         valid_from=date(2017, 1, 1))
    _send(runner, date(2026, 8, 1))
    balm = [m for m in _messages() if m.municipality_id == canton["balm"].id]
    assert [_to(m) for m in balm] == [["gemeinde@balm.ch"]] and balm[0].status == "queued"
    assert "an die Korrespondenzperson" in balm[0].body
    assert balm[0].subject == "Mahnung: 1 Formular überfällig (Balm bei Günsberg)"


def test_submitted_items_drop_out_and_returned_ones_are_open_again(runner, canton, make_user):
    """R22: a submitted report gets no overdue reminder; a returned one is open again and does."""
    flumenthal, guensberg = canton["members"]
    _report(flumenthal, H1_2026, Status.SUBMITTED)
    _report(guensberg, H1_2026, Status.RETURNED)
    _send(runner, date(2026, 8, 1))
    body = [m for m in _messages() if _to(m) == ["ib@hubersdorf.ch"]][0].body
    assert "Flumenthal" not in body
    assert "Günsberg (BFS 2548): Reporting 1. Halbjahr 2026, überfällig seit 31.07.2026 (1 Tag), " \
           "Stand: Zurückgewiesen" in body


def test_go_live_and_validity_limit_what_is_reminded(runner, app, go_live, make_municipality, make_user):
    """Issue 13/R26: periods before go-live and after a municipality ended are never reminded."""
    go_live(date(2026, 3, 31))
    merged = make_municipality(bfs_nr=2520, name="Halten", valid_to=date(2025, 12, 31))
    make_user("officer", municipality=merged, email="ib@halten.ch")
    _send(runner, date(2026, 8, 1))
    (message,) = _messages()
    assert "Reporting 2. Halbjahr 2025" in message.body  # H2 2025 is paid on 31.03.2026: followed up
    assert "Halbjahr 2026" not in message.body and "Selbstdeklaration" not in message.body  # Halten ended 2025
    assert "1. Halbjahr 2025" not in message.body  # settled outside the system


def test_an_officer_changing_sees_only_the_day_s_responsibility(runner, canton, make_user):
    """R12 on the day: after the contract ended, the lead's officer is no longer reminded of the members."""
    Contract.update(valid_to=date(2026, 7, 31)).execute()
    ContractMember.update(valid_to=date(2026, 7, 31)).execute()
    _send(runner, date(2026, 8, 1))
    body = [m for m in _messages() if _to(m) == ["ib@hubersdorf.ch"]][0].body
    assert "Hubersdorf" in body and "Flumenthal" not in body and "Günsberg" not in body
    members = [m for m in _messages() if m.municipality_id in {x.id for x in canton["members"]}]
    assert {m.status for m in members} == {"no_address"}


def test_reminders_without_go_live_or_with_bad_input_fail_with_a_german_message(runner, app, make_user):
    """Bad input: exit code ≠ 0, a clear message, nothing written."""
    no_go_live = runner.invoke(args=["reminders", "send", "--today", "2026-08-01"])
    assert no_go_live.exit_code != 0 and "Go-live ist nicht gesetzt" in no_go_live.output
    bad_day = runner.invoke(args=["reminders", "send", "--today", "31.02.2026"])
    assert bad_day.exit_code != 0
    assert OutboxMessage.select().count() == 0 and Reminder.select().count() == 0


def test_reminder_days_before_comes_from_the_config_and_is_checked(app, canton, make_app):
    """REMINDER_DAYS_BEFORE (default 14): with 25 the officers are reminded earlier; more than 31 is refused."""
    assert app.config["REMINDER_DAYS_BEFORE"] == 14
    assert _send(app.test_cli_runner(), date(2026, 7, 6)).exit_code == 0
    assert _messages() == []
    earlier = make_app(REMINDER_DAYS_BEFORE=25)
    result = _send(earlier.test_cli_runner(), date(2026, 7, 6))
    assert result.exit_code == 0, result.output
    assert {m.kind for m in _messages()} == {"reminder_due"}
    refused = _send(make_app(REMINDER_DAYS_BEFORE=40).test_cli_runner(), date(2026, 7, 7))
    assert refused.exit_code != 0 and "zwischen 0 und 31" in refused.output
    with pytest.raises(DomainError, match="zwischen 0 und 31"):
        reminders.send(ACTOR, date(2026, 7, 6), -1)


def test_reminder_days_before_must_be_a_whole_number(monkeypatch, tmp_path):
    """A typo in the environment stops the start with a clear message instead of a default."""
    monkeypatch.setenv("REMINDER_DAYS_BEFORE", "vierzehn")
    with pytest.raises(StartupError, match="REMINDER_DAYS_BEFORE"):
        build_config(str(tmp_path))


def test_a_run_is_one_transaction_with_its_reminder_records_and_audit(app, canton):
    """R23: each reminder record is audited with the run; messages are queued in the same transaction."""
    result = reminders.send(ACTOR, date(2026, 8, 1), 14)
    assert result.reminded == Reminder.select().count() == 5
    assert AuditEntry.select().where(AuditEntry.model == "Reminder").count() == 5
    with pytest.raises(RuntimeError), db.atomic():
        # new items on 19.01.2027: H2 2026 and Selbstdeklaration 2027 due
        reminders.send(ACTOR, date(2026, 8, 2) + timedelta(days=170), 14)
        raise RuntimeError("cron killed")
    assert Reminder.select().count() == 5 and len(_messages()) == 3


def test_items_added_after_the_day_s_message_follow_the_next_day(app, canton):
    """Never twice, never lost: the day's message exists, a newly open item is reminded the next day."""
    reminders.send(ACTOR, date(2026, 8, 1), 14)
    report = Report.get(Report.municipality == canton["solothurn"].id, Report.year == 2025)
    report.status = Status.RETURNED  # reopened: open again, overdue since 31.01.2026
    report.save()
    same_day = reminders.send(ACTOR, date(2026, 8, 1), 14)
    assert same_day.messages == [] and same_day.postponed == 1
    next_day = reminders.send(ACTOR, date(2026, 8, 2), 14)
    assert len(next_day.messages) == 1 and "Reporting 2. Halbjahr 2025" in next_day.messages[0].body
    assert "1. Halbjahr 2026" not in next_day.messages[0].body


LINE = re.compile(r"^- .*\n  (/gemeinden/\S+)$", re.MULTILINE)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(days=st.lists(st.integers(min_value=0, max_value=220), min_size=1, max_size=8),
       submit_after=st.one_of(st.none(), st.integers(min_value=0, max_value=7)))
def test_property_any_sequence_of_runs_reminds_each_item_and_stage_at_most_once(app, canton, days, submit_after):
    """Runs on any dates, in any order, repeated, with a submission in between: per recipient, item and stage at
    most one message line, and never a reminder for a submitted item after its submission."""
    Reminder.delete().execute()
    OutboxMessage.delete().execute()
    Report.delete().where((Report.year == 2026)).execute()
    seen: dict[tuple, int] = {}
    submitted_at = None
    for index, offset in enumerate(days):
        day = date(2026, 7, 1) + timedelta(days=offset)
        if index == submit_after:
            _report(canton["solothurn"], H1_2026, Status.SUBMITTED)
            submitted_at = index
        result = reminders.send(ACTOR, day, 14)
        for message in result.messages:
            for path in LINE.findall(message.body):
                key = (tuple(_to(message)), message.kind, path)
                seen[key] = seen.get(key, 0) + 1
                if submitted_at is not None:
                    assert path != f"/gemeinden/{canton['solothurn'].id}/reporting/2026/1"
    assert all(count == 1 for count in seen.values()), seen
    assert len(seen) == Reminder.select().count()


def test_fristen_page_lists_overdue_items_with_the_last_reminder_and_filters_by_year(runner, canton, client, auth):
    """Admin: overdue items by municipality, days overdue, last reminder (date, stage, state); year filter."""
    Report.update(status=Status.DRAFT).where(Report.municipality == canton["solothurn"].id).execute()
    _send(runner, date(2026, 2, 1))  # Solothurn's H2 2025 draft: overdue since 31.01.2026
    auth.login(role="admin")
    home = client.get("/admin/").get_data(as_text=True)
    assert 'id="deadlines-link"' in home and "/admin/fristen/" in home
    page = client.get("/admin/fristen/").get_data(as_text=True)
    section = page[page.index('id="deadlines-2601"'):]
    section = section[:section.index("</section>")]
    assert "Reporting 2. Halbjahr 2025" in section and "31.01.2026" in section and "Sol Stadt" in section
    assert "Mahnung nach Fristablauf" in section and "01.02.2026" in section and "in Warteschlange" in section
    assert "Entwurf" in section
    filtered = client.get("/admin/fristen/?jahr=2025").get_data(as_text=True)
    assert "Reporting 2. Halbjahr 2025" in filtered and "1. Halbjahr 2026" not in filtered
    assert 'id="deadlines-2601"' in filtered and 'id="deadlines-2545"' not in filtered


def test_fristen_page_is_for_admin_and_auditor_only(client, auth, canton):
    """Policy `deadlines.read`: admin and financial control; officers and accountants 403."""
    for role, status in (("auditor", 200), ("officer", 403), ("accountant", 403)):
        auth.login(role=role)
        assert client.get("/admin/fristen/").status_code == status, role
        auth.logout()
