"""R23: every write path leaves exactly its audit entries; the list of admin write paths is enumerated."""
from datetime import date

import pytest

from admin.base import SecureModelView
from models import AuditEntry, FormVersion, Report, User
from services.audit import Actor
from services.imports import KINDS, run_import


def _payloads(muni, other, officer, late_report):
    """Valid create data per writable admin view; a new writable view without an entry fails the test."""
    return {
        "municipality": {"bfs_nr": "2999", "name": "Neudorf", "district": "Lebern"},
        "contract": {"reference": "V-Audit", "lead": muni.id, "payee": "lead", "valid_from": "2024-01-01",
                     "members-0-municipality": other.id, "members-0-valid_from": "2024-01-01"},
        "user": {"email": "neu@test.so.ch", "name": "Neu", "role": "auditor", "active": "y"},
        "officerassignment": {"user": officer.id, "municipality": other.id, "valid_from": "2025-01-01"},
        "correspondent": {"municipality": muni.id, "name": "Kora", "email": "kora@test.ch", "valid_from": "2024-01-01"},
        "tariff": {"kind": "fee_first_info", "amount": "0", "valid_from": "2016-01-01", "valid_to": "2016-12-31",
                   "reference": "Test"},
        "foreignpopulation": {"municipality": muni.id, "reference_date": "2024-12-31", "count": "12"},
        "formversion": {"form_type": "report", "name": "Alt", "valid_from": "2016-01-01",
                        "valid_to": "2016-12-31", "reference": "Test"},
        "budget": {"year": "2026", "credit": "650’000.00"},
        "clawback": {"municipality": muni.id, "amount": "10.00", "reason": "Test", "decided_on": "2026-01-05"},
        "decision": {"kind": "pay_late_report", "municipality": muni.id, "report": late_report.id,
                     "decided_on": "2026-01-05", "reason": "Begründet"},
    }


def test_r23_every_admin_create_update_and_delete_is_audited(app, client, auth, make_municipality, make_user):
    admin = auth.login("admin")
    muni, other = make_municipality(name="Audithausen"), make_municipality(name="Nebendorf")
    officer = make_user(role="officer", municipality=muni)
    late_report = Report.create(municipality=muni, year=2025, half=1, status="accepted", late=True,
                                form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    payloads = _payloads(muni, other, officer, late_report)
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView) and v.creatable]
    assert {v.endpoint for v in views} == set(payloads), "a writable admin view lacks an audit test payload"
    for view in views:
        model_name = view.model.__name__
        before = AuditEntry.select().where(AuditEntry.model == model_name).count()
        response = client.post(f"/admin/{view.endpoint}/new/", data=payloads[view.endpoint])
        assert response.status_code == 302, (view.endpoint, response.get_data(as_text=True)[:3000])
        created = AuditEntry.select().where(AuditEntry.model == model_name).order_by(AuditEntry.id.desc()).get()
        assert AuditEntry.select().where(AuditEntry.model == model_name).count() == before + 1
        assert (created.action, created.user_id) == ("create", admin.id)
        record = view.model.get_by_id(int(created.record_id))
        if view.editable:
            data = dict(payloads[view.endpoint])
            if view.endpoint == "contract":  # the inline row edits the existing member
                data["members-0-id"] = str(record.members[0].id)
            response = client.post(f"/admin/{view.endpoint}/edit/?id={record.id}", data=data)
            assert response.status_code == 302, view.endpoint
            # an unchanged save is still a recorded update: who looked and confirmed the values
            assert AuditEntry.select().where((AuditEntry.model == model_name) & (AuditEntry.action == "update")
                                             & (AuditEntry.record_id == str(record.id))).count() == 1
        if view.deletable:
            response = client.post(f"/admin/{view.endpoint}/delete/", data={"id": record.id})
            assert response.status_code == 302
            assert view.model.get_or_none(view.model.id == record.id) is None, view.endpoint
            assert AuditEntry.get((AuditEntry.model == model_name) & (AuditEntry.action == "delete")
                                  & (AuditEntry.record_id == str(record.id))).before


IMPORTS = {
    "municipalities": ("bfs_nr,name,district\n2601,Solothurn,Solothurn\n", "Municipality"),
    "population": ("bfs_nr,reference_date,foreign_residents\n2601,2024-12-31,7\n", "ForeignPopulation"),
    "officers": ("email,name,bfs_nr,valid_from\nib@so.ch,Ida,2601,2024-01-01\n", "OfficerAssignment"),
    "contracts": ("lead_bfs,member_bfs,valid_from\n2601,2602,2024-01-01\n", "ContractMember"),
    "reports": ("bfs_nr,year,half,first_info_interviews,first_info_interpreter,integration_interviews,"
                "integration_interpreter\n2601,2024,1,1,0,0,0\n", "Report"),
    "self-declarations": ("bfs_nr,year\n2601,2024\n", "SelfDeclaration"),
    "correspondents": ("bfs_nr,name,email,valid_from\n2601,Kora,kora@so.ch,2024-01-01\n", "Correspondent"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_r23_every_import_kind_is_audited_in_its_transaction(app, make_municipality, kind):
    assert set(IMPORTS) == set(KINDS)
    make_municipality(bfs_nr=2601), make_municipality(bfs_nr=2602)
    content, model_name = IMPORTS[kind]
    result = run_import(kind, "x.csv", content.encode(), Actor.cli("test"))
    assert result.ok, result.errors
    entry = AuditEntry.select().where(AuditEntry.model == model_name).order_by(AuditEntry.id.desc()).get()
    assert entry.actor == "cli:test" and entry.reason == "Import"


def test_r23_cli_user_commands_are_audited(app, runner):
    result = runner.invoke(args=["users", "create", "neu@so.ch", "--role", "auditor"],
                           input="Sehr-geheimes-Passwort-77\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "set-password", "neu@so.ch"], input="Anderes-geheimes-Passwort-78\n")
    assert result.exit_code == 0, result.output
    user = User.get(User.email == "neu@so.ch")
    actions = [(e.action, e.reason) for e in AuditEntry.select().where(
        (AuditEntry.model == "User") & (AuditEntry.record_id == str(user.id))).order_by(AuditEntry.id)]
    assert actions == [("create", ""), ("update", "Passwort gesetzt")]


def test_r23_auditor_filters_the_log_by_model_and_record(client, auth, make_municipality):
    run_import("municipalities", "x.csv", b"bfs_nr,name,district\n2601,Solothurn,Solothurn\n", Actor.cli("t"))
    auth.login("auditor")
    page = client.get("/admin/auditentry/").get_data(as_text=True)
    assert "Objekt" in page and "Datensatz" in page and "Gemeinde Solothurn (2601)" in page  # issue 18: by name
