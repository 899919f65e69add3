"""Issue 14: the permission policy's per-record checks (R12, §6) and the services asking it."""
from datetime import date, timedelta

import pytest

from auth import policy
from auth.errors import PermissionDenied
from auth.policy import RIGHTS, WRITES, can, covers_period, require
from auth.responsibility import officers_responsible
from models import FormVersion, PayoutLine, PayoutRun, Report, SelfDeclaration, StatusChange
from services import submissions
from services.errors import DomainError

ROLES = ("admin", "officer", "accountant", "auditor")


@pytest.fixture
def world(app, make_municipality, make_user, make_contract):
    """An officer of the lead of a contract 2024–2025 with one member; a foreign municipality."""
    lead = make_municipality(name="Leitdorf")
    member = make_municipality(name="Mitdorf")
    foreign = make_municipality(name="Fremdort")
    make_contract(lead, [member], valid_from=date(2024, 1, 1), valid_to=date(2025, 12, 31))
    officer = make_user("officer", municipality=lead, valid_from=date(2024, 1, 1))
    return {"lead": lead, "member": member, "foreign": foreign, "officer": officer}


def _report(municipality, status="draft", year=2025, half=1):
    return Report.create(municipality=municipality, year=year, half=half, status=status,
                         form_version=FormVersion.valid_on("report", date(year, 1 if half == 1 else 7, 1)))


def test_r12_officer_may_not_act_for_a_foreign_municipality(world):
    """R12: an officer's OWN rights stop at municipalities they are not responsible for."""
    officer, day = world["officer"], date(2025, 6, 1)
    assert can(officer, "document.edit")  # the role holds the right …
    assert can(officer, "document.edit", world["lead"], on=day)  # … on its own municipality
    assert not can(officer, "document.edit", world["foreign"], on=day)
    assert not can(officer, "municipality.read", world["foreign"].id, on=day)
    assert not can(officer, "document.read", Report(municipality=world["foreign"]), on=day)


def test_r12_lead_officer_acts_for_members_only_while_the_contract_runs(world):
    """R12: the lead's officer is responsible for the members inside the contract's dates, not after."""
    officer, member = world["officer"], world["member"]
    assert can(officer, "document.submit", member, on=date(2025, 12, 31))
    assert not can(officer, "document.submit", member, on=date(2026, 1, 1))
    assert not can(officer, "document.submit", member, on=date(2023, 12, 31))
    assert can(officer, "document.submit", world["lead"], on=date(2026, 1, 1))  # own municipality stays


def test_r12_officers_responsible_is_the_inverse_of_responsibility(world, make_user):
    """Messages go to whoever is responsible on the day: the member's own officer and its lead's (R12)."""
    own = make_user("officer", municipality=world["member"], valid_from=date(2024, 1, 1))
    make_user("officer", municipality=world["foreign"], valid_from=date(2024, 1, 1), active=False)
    ids = [world["lead"].id, world["member"].id, world["foreign"].id]
    during = officers_responsible(ids, date(2025, 6, 1))
    after = officers_responsible(ids, date(2026, 1, 1))
    def emails(users):
        return sorted(user.email for user in users)

    assert emails(during[world["lead"].id]) == [world["officer"].email]
    assert emails(during[world["member"].id]) == emails([own, world["officer"]])
    assert emails(after[world["member"].id]) == [own.email]  # the contract ended
    assert during[world["foreign"].id] == []  # inactive officers get nothing
    for municipality_id, users in during.items():
        assert all(can(user, "document.edit", municipality_id, on=date(2025, 6, 1)) for user in users)


def test_auditor_never_writes_and_reads_everything(world, make_user):
    """§6: the financial control reads every record and holds no write action but its samples' (R24)."""
    auditor = make_user("auditor")
    samples_ = policy.READ_ONLY_EXCEPTIONS["auditor"]
    for action in RIGHTS:
        expected = "auditor" in RIGHTS[action] and (action not in WRITES or action in samples_)
        assert can(auditor, action) is expected, action
        assert not (action in WRITES and action not in samples_ and can(auditor, action, world["foreign"])), action
    assert can(auditor, "document.read", world["foreign"])


def test_r24_the_auditors_write_exception_is_exactly_its_sample_actions():
    """§6, R24: drawing, requesting evidence and judging are the auditor's only writes, named in one place."""
    assert policy.READ_ONLY_EXCEPTIONS == {"auditor": frozenset({"sample.draw", "sample.request", "sample.judge"})}
    assert {a for a in WRITES if "auditor" in RIGHTS[a]} == policy.READ_ONLY_EXCEPTIONS["auditor"]


@pytest.mark.parametrize("action", ["sample.proposal", "clawback.add", "evidence.upload", "run.prepare"])
def test_r24_any_other_write_granted_to_the_auditor_is_caught(world, make_user, monkeypatch, action):
    """§6: the sample exception does not widen: another write given to the auditor is refused and named."""
    auditor = make_user("auditor")
    monkeypatch.setitem(RIGHTS, action, {**RIGHTS[action], "auditor": policy.ANY})
    assert not can(auditor, action)
    with pytest.raises(AssertionError, match=action.replace(".", r"\.")):
        policy._check_table()


def test_a_write_granted_to_the_auditor_is_refused_and_caught_by_the_table_check(world, make_user, monkeypatch):
    """§6: even a mistaken line in RIGHTS gives the auditor no write; the import-time check names it."""
    auditor = make_user("auditor")
    monkeypatch.setitem(RIGHTS, "document.edit", {**RIGHTS["document.edit"], "auditor": policy.ANY})
    assert not can(auditor, "document.edit", world["lead"])
    with pytest.raises(AssertionError, match="document.edit"):
        policy._check_table()


@pytest.mark.parametrize("role", ROLES)
def test_inactive_users_can_do_nothing(world, make_user, role):
    """A deactivated account holds no right at all, on no record."""
    user = make_user(role, municipality=world["lead"] if role == "officer" else None)
    user.active = False
    assert not any(can(user, action) or can(user, action, world["lead"]) for action in RIGHTS)
    assert not can(None, "document.read")


def test_unknown_actions_are_an_error_not_a_silent_no(world):
    with pytest.raises(KeyError):
        can(world["officer"], "document.delete")


def test_officers_see_lines_of_their_own_municipalities_in_approved_runs_only(world, make_user):
    """R12 and the four-eyes release: draft runs stay internal to the canton."""
    officer, accountant = world["officer"], make_user("accountant")
    draft, approved = PayoutRun(status="draft"), PayoutRun(status="approved")
    own = PayoutLine(run=approved, municipality=world["member"], payee=world["lead"])
    assert can(officer, "line.read", own, on=date(2025, 6, 1))  # while the contract runs
    assert not can(officer, "line.read", own, on=date(2026, 1, 1))  # issue 20: not after it ended, payee or not
    assert can(officer, "line.read", PayoutLine(run=approved, municipality=world["lead"], payee=world["lead"]))
    assert not can(officer, "line.read", PayoutLine(run=draft, municipality=world["lead"], payee=world["lead"]))
    assert not can(officer, "line.read", PayoutLine(run=approved, municipality=world["foreign"],
                                                    payee=world["foreign"]))
    assert can(accountant, "line.read", PayoutLine(run=draft, municipality=world["foreign"], payee=world["foreign"]))
    assert policy.municipality_ids(accountant, "contributions.export") is None
    assert policy.municipality_ids(officer, "contributions.export", date(2025, 6, 1)) == {
        world["lead"].id, world["member"].id}


def test_require_raises_the_domain_error_with_a_german_message(world, make_user):
    with pytest.raises(PermissionDenied, match="Rolle nicht erlaubt"):
        require(make_user("accountant"), "run.prepare")
    with pytest.raises(DomainError, match="nicht zuständig"):
        require(world["officer"], "document.edit", world["foreign"])


# --- the services ask the policy too: a CLI or a new view cannot forget it -------------------------

def test_r12_officer_cannot_save_a_draft_for_a_foreign_municipality_through_the_service(world):
    """New check (issue 14): save_draft refuses a municipality the officer is not responsible for today."""
    report = Report(municipality=world["foreign"], year=2025, half=1,
                    form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    with pytest.raises(PermissionDenied):
        submissions.save_draft(world["officer"], report, {"first_info_interviews": 1}, None)
    existing = _report(world["foreign"])
    with pytest.raises(PermissionDenied):
        submissions.save_draft(world["officer"], existing, {"first_info_interviews": 1}, existing.version)
    assert Report.select().where(Report.municipality == world["foreign"]).count() == 1
    assert Report.get_by_id(existing.id).version == existing.version and StatusChange.select().count() == 0


def test_r12_officer_cannot_submit_for_a_foreign_municipality_through_the_service(world):
    """New check (issue 14): submit refuses a foreign municipality; the report stays a draft."""
    report = _report(world["foreign"])
    declaration = SelfDeclaration.create(municipality=world["foreign"], year=2025, status="draft",
                                         form_version=FormVersion.valid_on("self_declaration", date(2025, 1, 1)))
    for document in (report, declaration):
        with pytest.raises(PermissionDenied):
            submissions.submit(world["officer"], document, document.version)
        assert type(document).get_by_id(document.id).status == "draft"


def test_r12_lead_officer_saves_and_submits_for_a_member_while_the_contract_runs(app, make_municipality, make_user,
                                                                                make_contract):
    """R12: through the service, the lead's officer acts for a member of a running contract."""
    lead, member = make_municipality(), make_municipality()
    make_contract(lead, [member], valid_from=date(2024, 1, 1))
    officer = make_user("officer", municipality=lead, valid_from=date(2024, 1, 1))
    report = Report(municipality=member, year=2025, half=1,
                    form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    saved = submissions.save_draft(officer, report, {"first_info_interviews": 1}, None)
    assert submissions.submit(officer, saved, saved.version).status == "submitted"


def test_r12_lead_officer_cannot_submit_for_a_member_after_the_contract_ended(app, make_municipality, make_user,
                                                                              make_contract):
    """R12: the service judges responsibility today; a contract that ended yesterday no longer counts."""
    lead, member = make_municipality(), make_municipality()
    make_contract(lead, [member], valid_from=date(2024, 1, 1), valid_to=date.today() - timedelta(days=1))
    officer = make_user("officer", municipality=lead, valid_from=date(2024, 1, 1))
    report = _report(member)
    with pytest.raises(PermissionDenied):
        submissions.submit(officer, report, report.version)
    assert Report.get_by_id(report.id).status == "draft"


@pytest.mark.parametrize("role", ["accountant", "auditor"])
def test_roles_without_the_right_cannot_edit_submit_or_review_through_the_service(world, make_user, role):
    """Only officers (own) and the coordination office edit and submit; only the latter reviews (R22)."""
    user = make_user(role)
    report = _report(world["lead"])
    submitted = _report(world["lead"], status="submitted", half=2)
    calls = [lambda: submissions.save_draft(user, report, {}, report.version),
             lambda: submissions.submit(user, report, report.version),
             lambda: submissions.accept(user, submitted),
             lambda: submissions.return_(user, submitted, "Grund")]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert StatusChange.select().count() == 0


def test_officers_cannot_review_even_their_own_documents(world):
    """R22: accepting and returning belong to the coordination office."""
    submitted = _report(world["lead"], status="submitted")
    with pytest.raises(PermissionDenied):
        submissions.accept(world["officer"], submitted)
    with pytest.raises(PermissionDenied):
        submissions.return_(world["officer"], submitted, "Grund")
    assert Report.get_by_id(submitted.id).status == "submitted"


def test_r12_submitting_needs_responsibility_during_the_reported_period(app, make_municipality, make_user):
    """An officer assigned from 2024 files 2024 on, not 2023-H2; the canton's roles are judged by role alone."""
    muni = make_municipality()
    officer = make_user("officer", municipality=muni, valid_from=date(2024, 1, 1))
    version = FormVersion.valid_on("report", date(2023, 7, 1))
    before, after = (Report(municipality=muni, year=year, half=half, form_version=version)
                     for year, half in ((2023, 2), (2024, 1)))
    assert [covers_period(officer, "document.submit", r) for r in (before, after)] == [False, True]
    assert covers_period(make_user("admin"), "document.submit", before)
    assert not covers_period(make_user("accountant"), "document.submit", after)
