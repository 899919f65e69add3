"""Officer portal (issue 4): generated forms, workflow R22, rules R19/R20, bad input, object-level access."""
import re
from datetime import date

import pytest

from models import AuditEntry, FormField, FormVersion, OfficerAssignment, Report, SelfDeclaration, StatusChange

REPORT = "/gemeinden/{id}/reporting/{year}/{half}"
GOOD = {"first_info_interviews": "4", "first_info_interpreter": "1", "integration_interviews": "0",
        "integration_interpreter": "0"}


@pytest.fixture
def lead_setup(app, make_municipality, make_user, make_contract):
    lead = make_municipality(bfs_nr=2548, name="Hubersdorf")
    member = make_municipality(bfs_nr=2545, name="Flumenthal")
    foreign = make_municipality(bfs_nr=2546, name="Grenchen")
    make_contract(lead, [member], valid_from=date(2024, 1, 1))
    officer = make_user("officer", municipality=lead, valid_from=date(2024, 1, 1))
    return {"lead": lead, "member": member, "foreign": foreign, "officer": officer}


def _url(muni, year=2025, half=1, suffix=""):
    return REPORT.format(id=muni.id, year=year, half=half) + suffix


def _names(html):
    return re.findall(r'name="([a-z_]+)"', html)


# --- forms generated from the version valid for the period (R18) ----------------------------------

def test_r18_form_version_switches_at_2022(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    old = client.get(_url(lead_setup["lead"], 2021, 2)).get_data(as_text=True)
    new = client.get(_url(lead_setup["lead"], 2022, 1)).get_data(as_text=True)
    assert "integration_interviews" not in _names(old) and "first_info_interviews" in _names(old)
    assert {"integration_interviews", "integration_interpreter", "integration_confirmation"} <= set(_names(new))
    assert 'type="number"' in new and 'min="0"' in new and 'max="100000"' in new
    assert "Nur über HEKS Linguadukt bestellte Einsätze" in new  # help text
    assert '<label for="first_info_interviews" class="font-weight-bold">Anzahl Erstinformationsgespräche' in new


def test_r18_new_version_applies_to_its_periods_and_old_reports_keep_theirs(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"], 2025, 1), data={**GOOD, "action": "save"})
    current = FormVersion.get((FormVersion.form_type == "report") & FormVersion.valid_to.is_null())
    current.valid_to = date(2025, 6, 30)
    current.save()
    version = FormVersion.create(form_type="report", name="Anhang 2 2025-H2", valid_from=date(2025, 7, 1))
    FormField.create(form_version=version, position=1, key="new_count", label="Neue Zahl", field_type="integer",
                     required=True, min_value=0, max_value=10)
    assert "new_count" in _names(client.get(_url(lead_setup["lead"], 2025, 2)).get_data(as_text=True))
    old = client.get(_url(lead_setup["lead"], 2025, 1)).get_data(as_text=True)
    assert "new_count" not in _names(old) and "first_info_interviews" in _names(old)


# --- the workflow (R22) ---------------------------------------------------------------------------

def _submit(client, muni, year=2025, half=1, data=None):
    existing = Report.get_or_none((Report.municipality == muni.id) & (Report.year == year) & (Report.half == half))
    lock = {"lock": str(existing.version)} if existing else {}  # the form always posts the version it showed
    response = client.post(_url(muni, year, half), data={**(data or GOOD), "action": "submit", **lock})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    report = Report.get((Report.municipality == muni.id) & (Report.year == year) & (Report.half == half))
    return client.post(_url(muni, year, half, "/einreichen"), data={"lock": str(report.version)})


def test_r22_draft_submit_return_resubmit_accept_with_history(client, auth, lead_setup, make_user):
    member = lead_setup["member"]
    auth.login(user=lead_setup["officer"])
    client.post(_url(member), data={**GOOD, "action": "save"})
    report = Report.get()
    assert report.status == "draft" and report.count("first_info_interviews") == 4
    confirm = client.post(_url(member), data={**GOOD, "action": "submit", "lock": str(report.version)})
    assert confirm.headers["Location"].endswith("/einreichen")
    page = client.get(_url(member, suffix="/einreichen")).get_data(as_text=True)
    assert "800.00" in page and "160.00" in page  # 4 × 200, 1 × 160 at current tariffs
    client.post(_url(member, suffix="/einreichen"), data={"lock": str(Report.get().version)})
    report = Report.get()
    assert report.status == "submitted" and report.submitted_by_id == lead_setup["officer"].id
    assert report.late  # today is after 31.07.2025 (R2)
    read_only = client.get(_url(member)).get_data(as_text=True)
    assert 'name="first_info_interviews"' not in read_only and "Eingereicht" in read_only
    auth.logout()
    auth.login("admin")
    client.post(_url(member, suffix="/zurueckweisen"), data={"reason": "Dolmetscheinsätze prüfen",
                                                            "lock": str(report.version)})
    assert Report.get().status == "returned"
    auth.logout()
    auth.login(user=lead_setup["officer"])
    page = client.get(_url(member)).get_data(as_text=True)
    assert "Dolmetscheinsätze prüfen" in page and 'name="first_info_interviews"' in page
    _submit(client, member, data={**GOOD, "first_info_interpreter": "2"})
    auth.logout()
    auth.login("admin")
    client.post(_url(member, suffix="/annehmen"), data={"lock": str(Report.get().version)})
    report = Report.get()
    assert report.status == "accepted" and report.count("first_info_interpreter") == 2
    steps = [(c.from_status, c.to_status) for c in StatusChange.select().order_by(StatusChange.id)]
    assert steps == [(None, "draft"), ("draft", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
                     ("submitted", "accepted")]
    assert "Dolmetscheinsätze prüfen" in client.get(_url(member)).get_data(as_text=True)  # history shown
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.model == "Report").order_by(AuditEntry.id)]
    assert actions == ["create", "update", "submit", "returned", "update", "submit", "accepted"]


def test_return_needs_a_reason_and_only_admins_review(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    _submit(client, lead_setup["lead"])
    version = str(Report.get().version)
    assert client.post(_url(lead_setup["lead"], suffix="/annehmen"), data={"lock": version}).status_code == 403
    auth.logout()
    auth.login("admin")
    client.post(_url(lead_setup["lead"], suffix="/zurueckweisen"), data={"reason": "  ", "lock": version})
    assert Report.get().status == "submitted"


def test_double_clicked_submit_makes_one_transition(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"]), data={**GOOD, "action": "submit"})
    lock = str(Report.get().version)
    first = client.post(_url(lead_setup["lead"], suffix="/einreichen"), data={"lock": lock})
    second = client.post(_url(lead_setup["lead"], suffix="/einreichen"), data={"lock": lock})
    assert first.status_code == second.status_code == 302
    assert StatusChange.select().where(StatusChange.to_status == "submitted").count() == 1


def test_stale_form_after_submission_is_refused_and_nothing_overwritten(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    _submit(client, lead_setup["lead"])
    response = client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": "99", "action": "save",
                                                          "lock": "1"})
    assert "nichts überschrieben" in response.get_data(as_text=True)
    assert Report.get().count("first_info_interviews") == 4


def test_stale_draft_from_another_tab_is_refused(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"]), data={**GOOD, "action": "save"})
    client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": "5", "action": "save", "lock": "1"})
    client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": "6", "action": "save", "lock": "1"})
    assert Report.get().count("first_info_interviews") == 5


# --- rules and bad input --------------------------------------------------------------------------

def test_r19_integration_interviews_need_the_confirmation(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    data = {**GOOD, "integration_interviews": "2", "action": "submit"}
    page = client.post(_url(lead_setup["lead"]), data=data).get_data(as_text=True)
    assert "Bestätigung nötig" in page and "R19" not in page and Report.select().count() == 0  # issue 18: no rule ids
    response = client.post(_url(lead_setup["lead"]), data={**data, "integration_confirmation": "yes"})
    assert response.status_code == 302 and Report.get().values["integration_confirmation"] is True


def test_r20_more_interpreters_than_interviews_need_a_justification(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    data = {**GOOD, "first_info_interpreter": "5", "action": "submit"}
    page = client.post(_url(lead_setup["lead"]), data=data).get_data(as_text=True)
    assert "bitte schriftlich" in page and "R20" not in page  # issue 18: no rule ids
    response = client.post(_url(lead_setup["lead"]),
                           data={**data, "interpreter_justification": "Familien mit 2 Sprachen"})
    assert response.status_code == 302


@pytest.mark.parametrize("value, message", [
    ("-1", "nicht kleiner als 0"), ("1.5", "ganze Zahl"), ("100001", "nicht grösser als 100’000"),
    ("viele", "ganze Zahl"), ("１２", "ganze Zahl"), ("", "ausfüllen"), ("1e3", "ganze Zahl"),
    (" ", "ausfüllen"), ("\t \n", "ausfüllen"),  # blanks are empty, not a saved missing answer (fuzz finding)
])
def test_bad_counts_get_a_german_message_next_to_the_field(client, auth, lead_setup, value, message):
    auth.login(user=lead_setup["officer"])
    page = client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": value, "action": "save"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="first_info_interviews-errors"' in html and message in html
    assert 'aria-describedby="first_info_interviews-help first_info_interviews-errors"' in html
    assert Report.select().count() == 0


def test_100_kb_comment_is_refused_and_html_is_escaped_everywhere(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    page = client.post(_url(lead_setup["lead"]), data={**GOOD, "remarks": "x" * 100_000, "action": "save"})
    assert "Höchstens 5000 Zeichen" in page.get_data(as_text=True) and Report.select().count() == 0
    script = "<script>alert('x')</script>"
    client.post(_url(lead_setup["lead"]), data={**GOOD, "remarks": script, "action": "submit"})
    client.post(_url(lead_setup["lead"], suffix="/einreichen"), data={"lock": str(Report.get().version)})
    html = client.get(_url(lead_setup["lead"])).get_data(as_text=True)
    assert script not in html and "&lt;script&gt;" in html
    auth.logout()
    auth.login("admin")
    admin_page = client.get(f"/admin/report/details/?id={Report.get().id}").get_data(as_text=True)
    assert script not in admin_page


def test_field_not_in_the_version_is_ignored(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"], 2021, 2), data={**GOOD, "integration_interviews": "7", "action": "save"})
    assert "integration_interviews" not in Report.get().values


# --- self-declaration (R21) -----------------------------------------------------------------------

TASKS = ["task_contact_point", "task_first_information", "task_regular_structures", "task_social_integration",
         "task_counselling", "task_reporting"]


def test_r21_self_declaration_journey(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    url = f"/gemeinden/{lead_setup['lead'].id}/selbstdeklaration/2026"
    page = client.get(url).get_data(as_text=True)
    assert all(f'name="{task}"' in page for task in TASKS) and "teilweise erfüllt" in page
    incomplete = client.post(url, data={"officer_name": "Iris", "action": "submit"}).get_data(as_text=True)
    assert "Bitte «Aufgabe 1" in incomplete and SelfDeclaration.select().count() == 0
    data = {**{task: "fulfilled" for task in TASKS}, "task_reporting": "partly", "task_reporting_comment": "Im Aufbau",
            "officer_name": "Iris Brunner", "course_attendance": "yes", "network_meeting_attendance": "no",
            "action": "submit"}
    assert client.post(url, data=data).status_code == 302
    client.post(url + "/einreichen", data={"lock": str(SelfDeclaration.get().version)})
    declaration = SelfDeclaration.get()
    assert declaration.status == "submitted" and declaration.values["task_reporting"] == "partly"
    assert declaration.values["network_meeting_attendance"] is False
    printed = client.get(url + "/druck").get_data(as_text=True)
    assert "teilweise erfüllt" in printed and "Bestätigung" in printed


# --- home -----------------------------------------------------------------------------------------

def test_officer_home_lists_periods_deadlines_and_next_action(client, auth, lead_setup):
    auth.login(user=lead_setup["officer"])
    html = client.get("/").get_data(as_text=True)
    assert "Reporting 1. Halbjahr 2024" in html and "31.07.2024" in html and "Selbstdeklaration 2027" in html
    assert "Flumenthal" in html and "Grenchen" not in html
    next_action = html.split('id="next-action"')[1].split("</div>")[0]
    assert "Selbstdeklaration 2024 Flumenthal" in next_action and "überfällig seit 31.01.2024" in next_action


# --- object-level access --------------------------------------------------------------------------

def _officer_routes(muni_id):
    base = f"/gemeinden/{muni_id}"
    return [("GET", f"{base}/reporting/2025/1"), ("POST", f"{base}/reporting/2025/1"),
            ("GET", f"{base}/reporting/2025/1/einreichen"), ("POST", f"{base}/reporting/2025/1/einreichen"),
            ("GET", f"{base}/reporting/2025/1/druck"),
            ("GET", f"{base}/selbstdeklaration/2026"), ("POST", f"{base}/selbstdeklaration/2026"),
            ("GET", f"{base}/selbstdeklaration/2026/einreichen"), ("POST", f"{base}/selbstdeklaration/2026/einreichen"),
            ("GET", f"{base}/selbstdeklaration/2026/druck"), ("GET", f"/municipalities/{muni_id}/payouts"),
            ("GET", f"{base}/reporting/2025/1/bestaetigung.pdf"),  # issue 15: the confirmations and Anhang 1
            ("GET", f"{base}/selbstdeklaration/2026/bestaetigung.pdf"),
            ("GET", f"/municipalities/{muni_id}/anhang1/2026.pdf"),
            ("GET", f"{base}/versand")]


def test_every_officer_route_is_404_for_a_foreign_municipality(app, client, auth, lead_setup):
    foreign = lead_setup["foreign"]
    Report.create(municipality=foreign, year=2025, half=1, status="draft",
                  form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    auth.login(user=lead_setup["officer"])
    routes = _officer_routes(foreign.id)
    portal_rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.")
                    and "<int:municipality_id>" in r.rule}
    assert len({re.sub(r"/\d+", "/<>", url) for _, url in routes}) >= len(portal_rules) - 6  # review routes: admin
    for method, url in routes:
        response = client.open(url, method=method, data={**GOOD, "action": "save", "lock": "1"})
        assert response.status_code == 404, (method, url)
        assert "Grenchen" not in response.get_data(as_text=True)
    assert Report.get().values == {} and SelfDeclaration.select().count() == 0


def test_access_ends_with_the_assignment_and_with_the_contract(client, auth, lead_setup):
    from models import Contract, ContractMember

    officer, member = lead_setup["officer"], lead_setup["member"]
    auth.login(user=officer)
    assert client.get(_url(member)).status_code == 200
    Contract.update(valid_to=date(2025, 12, 31)).execute()
    ContractMember.update(valid_to=date(2025, 12, 31)).execute()
    assert client.get(_url(member)).status_code == 404
    assert client.get(_url(lead_setup["lead"])).status_code == 200
    OfficerAssignment.update(valid_to=date(2025, 12, 31)).execute()
    assert client.get(_url(lead_setup["lead"])).status_code == 404


def test_admin_fills_in_on_behalf_and_it_is_recorded(client, auth, lead_setup):
    auth.login("admin")
    client.post(_url(lead_setup["foreign"]), data={**GOOD, "action": "submit"})
    client.post(_url(lead_setup["foreign"], suffix="/einreichen"), data={"lock": str(Report.get().version)})
    assert Report.get().status == "submitted"
    assert all(change.on_behalf for change in StatusChange.select())
    assert "im Auftrag" in AuditEntry.select().where(AuditEntry.model == "Report").order_by(
        AuditEntry.id.desc()).get().reason


@pytest.mark.parametrize("role", ["auditor", "accountant"])
def test_readers_cannot_write_reports(client, auth, lead_setup, role):
    auth.login(role)
    client.post(_url(lead_setup["lead"]), data={**GOOD, "action": "save"})
    assert Report.select().count() == 0


def test_r18_form_class_covers_every_field_type_and_bound(app):
    from werkzeug.datastructures import MultiDict

    from forms.runtime import form_class

    version = FormVersion.create(form_type="report", name="Test", valid_from=date(2030, 1, 1))
    specs = [("count", "integer", True, 1, 5, ""), ("name", "text", False, None, None, ""),
             ("note", "textarea", False, None, None, ""), ("ok", "yes_no", True, None, None, ""),
             ("pick", "choice", True, None, None, "a|Alpha\nb|Beta")]
    for position, (key, kind, required, low, high, choices) in enumerate(specs, start=1):
        FormField.create(form_version=version, position=position, key=key, label=key.title(), field_type=kind,
                         required=required, min_value=low, max_value=high, choices=choices)
    form_type = form_class(version)
    with app.test_request_context(method="POST"):
        form = form_type(formdata=MultiDict({"count": "3", "name": " Anna ", "ok": "no", "pick": "b"}),
                         meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.values() == {"count": 3, "name": "Anna", "ok": False, "pick": "b"}
        for data, key in (({"count": "0", "ok": "yes", "pick": "a"}, "count"),
                          ({"count": "6", "ok": "yes", "pick": "a"}, "count"),
                          ({"count": "2", "pick": "a"}, "ok"), ({"count": "2", "ok": "yes", "pick": "z"}, "pick")):
            form = form_type(formdata=MultiDict(data), meta={"csrf": False})
            assert not form.validate() and key in form.errors, (data, form.errors)


@pytest.mark.parametrize("status, action", [("draft", "accept"), ("draft", "return"), ("accepted", "submit"),
                                            ("accepted", "return"), ("returned", "accept"), ("submitted", "submit")])
def test_r22_transitions_outside_the_life_cycle_are_refused(app, lead_setup, make_user, status, action):
    from services import submissions
    from services.errors import DomainError

    admin = make_user("admin")
    report = Report.create(municipality=lead_setup["lead"], year=2025, half=1, status=status,
                           form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    calls = {"accept": lambda: submissions.accept(admin, report),
             "return": lambda: submissions.return_(admin, report, "Grund"),
             "submit": lambda: submissions.submit(lead_setup["officer"], report, report.version)}
    with pytest.raises(DomainError):
        calls[action]()
    assert Report.get_by_id(report.id).status == status and StatusChange.select().count() == 0


def test_admin_opens_a_municipality_and_fills_in_from_there(client, auth, lead_setup):
    auth.login("admin")
    listing = client.get("/admin/municipality/").get_data(as_text=True)
    assert f'href="/gemeinden/{lead_setup["foreign"].id}"' in listing
    page = client.get(f"/gemeinden/{lead_setup['foreign'].id}").get_data(as_text=True)
    assert "im Auftrag der Gemeinde" in page and "bearbeiten<span class=\"sr-only\"> Reporting 2. Halbjahr 2026" in page
