"""Flask-Admin at /admin: admin role only, audited transactional writes, safe deletes."""
import json
import re

import pytest

from models import AuditEntry, ContractMember, ForeignPopulation, Municipality, User

ADMIN_URLS = ["/admin/", "/admin/municipality/", "/admin/contract/", "/admin/user/",
              "/admin/officerassignment/", "/admin/tariff/", "/admin/foreignpopulation/",
              "/admin/formversion/", "/admin/report/", "/admin/selfdeclaration/", "/admin/budget/",
              "/admin/clawback/", "/admin/decision/", "/admin/auditentry/", "/admin/import/"]


@pytest.mark.parametrize("role", ["officer", "accountant"])
def test_admin_pages_are_forbidden_for_other_roles(client, auth, role):
    auth.login(role)
    for url in ADMIN_URLS:
        assert client.get(url).status_code == 403, url


def test_audit_log_is_readable_by_auditor(client, auth):
    auth.login("auditor")
    assert client.get("/admin/auditentry/").status_code == 200


def test_admin_sees_municipalities_with_bfs_numbers(client, auth, make_municipality):
    make_municipality(bfs_nr=2601, name="Solothurn", district="Solothurn")
    auth.login("admin")
    page = client.get("/admin/municipality/").get_data(as_text=True)
    assert "2601" in page and "Solothurn" in page and "BFS-Nr" in page


def test_admin_create_municipality_writes_one_audit_entry(client, auth):
    admin = auth.login("admin")
    response = client.post("/admin/municipality/new/", data={
        "bfs_nr": "2601", "name": "Solothurn", "district": "Solothurn",
        "iban": "CH93 0076 2011 6238 5295 7"})
    assert response.status_code == 302
    muni = Municipality.get(Municipality.bfs_nr == 2601)
    assert muni.iban == "CH9300762011623852957"
    entry = AuditEntry.get((AuditEntry.model == "Municipality") & (AuditEntry.record_id == str(muni.id)))
    assert entry.user_id == admin.id and entry.action == "create"
    assert json.loads(entry.after)["name"] == "Solothurn"


def test_admin_refuses_invalid_iban_next_to_the_field(client, auth):
    auth.login("admin")
    response = client.post("/admin/municipality/new/", data={
        "bfs_nr": "2601", "name": "Solothurn", "district": "Solothurn", "iban": "DE89370400440532013000"})
    assert response.status_code == 200
    assert "Schweizer oder Liechtensteiner IBAN" in response.get_data(as_text=True)
    assert Municipality.select().count() == 0


def test_admin_update_records_before_and_after(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    response = client.post(f"/admin/municipality/edit/?id={muni.id}", data={
        "bfs_nr": "2601", "name": "Stadt Solothurn", "district": "Solothurn"})
    assert response.status_code == 302
    entry = AuditEntry.get((AuditEntry.model == "Municipality") & (AuditEntry.action == "update"))
    assert json.loads(entry.before)["name"] == "Solothurn"
    assert json.loads(entry.after)["name"] == "Stadt Solothurn"


def test_admin_delete_never_cascades_into_history(client, auth, make_municipality):
    """A municipality with population counts cannot be deleted (no recursive delete)."""
    from datetime import date

    auth.login("admin")
    muni = make_municipality()
    ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=10)
    response = client.post("/admin/municipality/delete/", data={"id": muni.id}, follow_redirects=True)
    assert "Speichern nicht möglich" in response.get_data(as_text=True)
    assert Municipality.get_or_none(Municipality.id == muni.id) is not None
    assert ForeignPopulation.select().count() == 1


def test_admin_delete_of_unused_row_is_audited(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality()
    client.post("/admin/municipality/delete/", data={"id": muni.id})
    assert Municipality.get_or_none(Municipality.id == muni.id) is None
    assert AuditEntry.select().where((AuditEntry.model == "Municipality") & (AuditEntry.action == "delete")).count() == 1


def test_admin_contract_with_inline_members(client, auth, make_municipality):
    auth.login("admin")
    lead, member = make_municipality(name="Leitdorf"), make_municipality(name="Mitdorf")
    response = client.post("/admin/contract/new/", data={
        "reference": "V-1", "lead": lead.id, "payee": "lead", "valid_from": "2024-01-01",
        "members-0-municipality": member.id, "members-0-valid_from": "2024-01-01"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert ContractMember.get().municipality_id == member.id
    entry = AuditEntry.get(AuditEntry.model == "Contract")
    assert json.loads(entry.after)["members"][0]["municipality"] == member.id


def test_role_change_in_admin_ends_the_users_sessions(app, client, auth, make_user):
    auth.login("admin")
    other = make_user(role="accountant")
    version = other.session_version
    client.post(f"/admin/user/edit/?id={other.id}", data={"email": other.email, "name": "X",
                                                          "role": "auditor", "active": "y"})
    other = User.get_by_id(other.id)
    assert other.role == "auditor" and other.session_version == version + 1


def test_unsortable_sort_parameter_does_not_fail(client, auth, make_municipality):
    auth.login("admin")
    make_municipality()
    for index in range(0, 10):
        assert client.get(f"/admin/municipality/?sort={index}").status_code == 200


def test_search_by_name_works_on_both_databases(client, auth, make_municipality):
    auth.login("admin")
    make_municipality(name="Grenchen")
    make_municipality(name="Olten")
    page = client.get("/admin/municipality/?search=gren").get_data(as_text=True)
    assert "Grenchen" in page and "Olten" not in page


def test_admin_escapes_html_in_names(client, auth, make_municipality):
    auth.login("admin")
    make_municipality(name="<script>alert(1)</script>")
    page = client.get("/admin/municipality/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_admin_forms_use_german_labels_selects_and_one_line_inputs(client, auth):
    auth.login("admin")
    page = re.sub(r"\s+", " ", client.get("/admin/contract/new/").get_data(as_text=True))
    assert '<label for="lead" class="col-form-label ">Leitgemeinde' in page
    assert '<input class="form-control" id="reference" name="reference" required type="text"' in page
    assert '<select class="form-control" id="payee" name="payee">' in page
    assert '<option value="member">jede Gemeinde selbst</option>' in page
    listing = client.get("/admin/municipality/").get_data(as_text=True)
    assert 'placeholder="Suchen: BFS-Nr, Gemeinde, Bezirk"' in listing
