"""Issue 18: start pages and navigation per role, officer home, resuming after a fresh login, booked lines paid,
withheld items paged, blank Anhang 2/3, Swiss time and people by name (R12: officers see only their own)."""
import io
import time
from datetime import date, datetime
from urllib.parse import unquote

from conftest import PASSWORD, ensure_go_live, totp_code
from openpyxl import load_workbook

from models import AuditEntry, Contract, ContractMember, FormVersion, OfficerAssignment, PayoutRun, Report, User
from models.labels import label, line_status_label
from services import payout_runs
from services.tasks import next_tasks


def _nav(html: str) -> str:
    return html.split('aria-label="Hauptmenü"')[1].split("</nav>")[0]


def test_navigation_per_role_links_what_the_role_may_do(client, auth, make_user):
    expected = {
        "admin": ({"/pruefung", "/runs", "/rechnungen", "/stichproben"}, {"/belege"}),
        "accountant": ({"/runs", "/rechnungen"}, {"/pruefung", "/admin/", "/stichproben", "/belege"}),
        "auditor": ({"/admin/", "/pruefung", "/runs", "/rechnungen", "/stichproben", "/admin/fristen/",
                     "/admin/postausgang/"}, {"/belege"}),
        "officer": ({"/belege"}, {"/admin/", "/runs", "/pruefung", "/rechnungen"}),
    }
    for role, (present, absent) in expected.items():
        user = make_user(role)
        auth.login(user=user)
        page = client.get("/runs" if role != "officer" else "/belege").get_data(as_text=True)
        nav = _nav(page)
        assert all(f'href="{link}"' in nav for link in present), (role, nav)
        assert not any(f'href="{link}"' in nav for link in absent), (role, nav)
        # the person by name, the address on hover, the role once (issue 18: "Beat Frei (Buchhaltung) (Buchhaltung)")
        assert f'<span title="{user.email}">{user.name}</span>' in nav
        client.post("/logout")


def test_admin_pages_carry_the_same_navigation_with_lang_and_one_h1(client, auth):
    auth.login("admin")
    for url in ("/admin/", "/admin/municipality/", "/admin/municipality/new/", "/admin/auditentry/",
                "/admin/fristen/"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="de-CH">' in page and page.count("<h1") == 1, url
        assert 'href="/pruefung"' in page and 'href="/runs"' in page, url
    listing = client.get("/admin/municipality/").get_data(as_text=True)
    assert 'aria-label="Suchen: BFS-Nr, Gemeinde, Bezirk"' in listing  # the search box has a name
    assert "50 Einträge pro Seite" in listing and "items" not in listing


def test_accountant_start_page_names_the_waiting_run_and_the_overdue_invoices(app, client, auth, make_user,
                                                                              make_municipality):
    ensure_go_live(date(2026, 3, 31))
    make_municipality()
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 11, 25))
    accountant = auth.login("accountant")
    tasks = next_tasks(accountant, date(2026, 11, 25))
    assert [(t.count, t.text, t.endpoint, t.args) for t in tasks] == [
        (1, "1 Lauf wartet auf Freigabe", "payouts.run_detail", {"run_id": run.id})]
    page = client.get("/").get_data(as_text=True)
    assert f'<a href="/runs/{run.id}">1 Lauf wartet auf Freigabe</a>' in page


def test_officer_tasks_count_only_their_own_municipalities(app, make_user, make_municipality):
    """R12: the officer's start page counts nothing of another municipality."""
    officer = make_user("officer")
    make_user("officer")  # another officer with another municipality
    assert next_tasks(officer, date.today()) == []


def test_officer_home_summary_grouping_and_filter(client, auth, make_user, make_municipality):
    """Issue 18 (4): overdue and open on top, per municipality, filtered by year and status."""
    own = make_municipality(name="Eigenheim")
    auth.login(user=make_user("officer", municipality=own, valid_from=date(2024, 1, 1)))
    page = client.get("/").get_data(as_text=True)
    assert 'id="summary"' in page and "überfällig" in page.split('id="summary"')[1].split("</div>")[0]
    assert "<details" in page and "Eigenheim" in page
    filtered = client.get(f"/?jahr={date.today().year - 1}&status=offen").get_data(as_text=True)
    rows = filtered.split('id="filter"')[1]
    assert f"Reporting 1. Halbjahr {date.today().year - 1}" in rows
    assert f"Reporting 1. Halbjahr {date.today().year}<" not in rows
    assert client.get("/?jahr=abc&status=<script>").status_code == 200  # bad filters are ignored


def test_every_form_leads_back_to_the_overview(client, auth, make_user, make_municipality):
    own = make_municipality()
    auth.login(user=make_user("officer", municipality=own, valid_from=date(2024, 1, 1)))
    page = client.get(f"/gemeinden/{own.id}/reporting/2025/1").get_data(as_text=True)
    assert '<a href="/">‹ Zurück zur Übersicht</a>' in page


def test_self_declaration_prefills_the_officers_name(client, auth, make_user, make_municipality):
    own = make_municipality()
    officer = auth.login(user=make_user("officer", municipality=own, name="Iris Brunner"))
    assert officer.name == "Iris Brunner"
    page = client.get(f"/gemeinden/{own.id}/selbstdeklaration/{date.today().year + 1}").get_data(as_text=True)
    assert 'value="Iris Brunner"' in page


def test_approval_after_the_fresh_login_prompt_shows_the_button_again_with_a_note(app, client, make_user,
                                                                                  make_municipality):
    """Issue 18 (5): the accountant returns to the run with a note and the approval button, nothing approved."""
    ensure_go_live(date(2026, 3, 31))
    make_municipality()
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 11, 25))
    accountant = make_user("accountant")
    client.post("/login", data={"email": accountant.email, "password": PASSWORD})
    client.post("/login/code", data={"code": totp_code(accountant)})
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 20 * 60
    prompt = client.post(f"/runs/{run.id}/approve", data={"version": str(run.version)})
    target = unquote(prompt.headers["Location"].split("next=")[1])
    assert target == f"/runs/{run.id}?fortsetzen=freigeben"
    client.post(f"/login?next={target}", data={"email": accountant.email, "password": PASSWORD})
    back = client.post("/login/code", data={"code": totp_code(accountant)})
    assert back.headers["Location"].endswith(f"/runs/{run.id}?fortsetzen=freigeben")
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'id="resume"' in page and "Freigabe jetzt noch einmal" in page and ">Freigeben</button>" in page
    assert 'data-confirm="Lauf per 31.03.2026' in page  # the approval asks first (static/app.js)
    assert PayoutRun.get_by_id(run.id).status == "draft"


def test_booked_lines_say_paid_out_and_withheld_items_are_paged(app, client, auth, make_user, make_municipality):
    assert line_status_label("payable", "booked") == "ausbezahlt"
    assert line_status_label("payable", "approved") == label("line_status", "payable") == "zahlbar"
    assert line_status_label("withheld", "booked") == "zurückbehalten"
    ensure_go_live(date(2026, 3, 31))
    for _ in range(60):
        make_municipality()  # no officer, no report: each is withheld (R12)
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 11, 25))
    assert len(run.issues["withheld"]) > 50
    auth.login("accountant")
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    table = page.split('id="withheld-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 51  # header and one page of 50
    assert "zb_seite=2" in page
    last = client.get(f"/runs/{run.id}?zb_seite=999").get_data(as_text=True)  # clamped to the last page
    assert last.split('id="withheld-table"')[1].split("</table>")[0].count("<tr>") == \
        (len(run.issues["withheld"]) - 1) % 50 + 1 + 1
    one = client.get(f"/runs/{run.id}?gemeinde=Testgemeinde 3001").get_data(as_text=True)
    assert "Testgemeinde 3001" in one.split('id="withheld-table"')[1].split("</table>")[0]


def test_blank_anhang_2_and_3_of_the_valid_form_version(client, auth, make_user):
    auth.login("officer")
    for form_type, sheet_title in (("report", "Anhang 2: Reporting 2026"),
                                   ("self_declaration", "Anhang 3: Selbstdeklaration 2026")):
        response = client.get(f"/formulare/{form_type}/2026.xlsx")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert sheet.cell(1, 1).value == sheet_title
        version = FormVersion.valid_on(form_type, date(2026, 1, 1))
        questions = [sheet.cell(row, 2).value for row in range(6, sheet.max_row + 1)]
        assert questions == [field.label for field in sorted(version.fields, key=lambda f: f.position)]
        assert all(sheet.cell(row, 6).value is None for row in range(6, sheet.max_row + 1))  # left empty
    assert client.get("/formulare/other/2026.xlsx").status_code == 404
    assert client.get("/formulare/report/1990.xlsx").status_code == 404


def test_audit_log_in_swiss_time_by_name_in_german(client, auth, make_municipality):
    muni = make_municipality(bfs_nr=2546, name="Grenchen")
    admin = auth.login("admin")
    AuditEntry.create(at=datetime(2026, 1, 15, 12, 0, 0), actor=admin.email, user=admin.id, action="update",
                      model="Municipality", record_id=str(muni.id))  # written at a known time (append-only log)
    page = client.get("/admin/auditentry/?search=" + str(muni.id)).get_data(as_text=True)
    assert "15.01.2026 13:00:00" in page  # UTC 12:00 is 13:00 in Solothurn in winter
    assert "Gemeinde Grenchen (2546)" in page and "geändert" in page
    assert f'<span title="{admin.email}">{admin.name}</span>' in page


def test_admin_start_page_counts_members_covered_by_their_leads_officer(client, auth, make_user, make_municipality):
    lead, member, alone = (make_municipality(name=n) for n in ("Leitort", "Mitgliedort", "Einzelort"))
    make_user("officer", municipality=lead)
    contract = Contract.create(reference="V", lead=lead, valid_from=date(2020, 1, 1))
    ContractMember.create(contract=contract, municipality=member, valid_from=date(2020, 1, 1))
    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    without = page.split('id="without-officer"')[1].split("</details>")[0]
    assert "Einzelort" in without and "Mitgliedort" not in without and "Leitort" not in without
    assert OfficerAssignment.select().count() == 1 and Report.select().count() == 0
    assert User.select().count() == 2
