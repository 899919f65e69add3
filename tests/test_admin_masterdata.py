"""Issue 3: every master-data rule (fail and pass), auditor read-only, filters, import flow, start page."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from models import (
    AuditEntry,
    Clawback,
    Contract,
    ContractMember,
    ForeignPopulation,
    FormField,
    FormVersion,
    Municipality,
    Report,
    Tariff,
)
from services import masterdata
from services.errors import DomainError

READ_URLS = ["/admin/", "/admin/municipality/", "/admin/contract/", "/admin/user/", "/admin/officerassignment/",
             "/admin/tariff/", "/admin/foreignpopulation/", "/admin/formversion/", "/admin/report/",
             "/admin/selfdeclaration/", "/admin/budget/", "/admin/clawback/", "/admin/decision/",
             "/admin/auditentry/"]
WRITE_ENDPOINTS = ["municipality", "contract", "user", "officerassignment", "tariff", "foreignpopulation",
                   "formversion", "budget", "clawback", "decision"]


# --- auditor -------------------------------------------------------------------------------------

def test_auditor_reads_every_admin_list_and_detail(client, auth, make_municipality):
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    auth.login("auditor")
    for url in READ_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Solothurn" in client.get(f"/admin/municipality/details/?id={muni.id}").get_data(as_text=True)


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_auditor_sees_no_write_controls_and_every_write_is_refused(client, auth, make_municipality, endpoint):
    muni = make_municipality(bfs_nr=2601, name="Solothurn")
    auth.login("auditor")
    page = client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert f"/admin/{endpoint}/new/" not in page and "/delete/" not in page and "/edit/" not in page
    audits = AuditEntry.select().count()
    assert client.get(f"/admin/{endpoint}/new/").status_code == 403
    assert client.post(f"/admin/{endpoint}/new/", data={"name": "X"}).status_code == 403
    assert client.post(f"/admin/{endpoint}/edit/?id={muni.id}", data={"name": "X"}).status_code == 403
    assert client.post(f"/admin/{endpoint}/delete/", data={"id": muni.id}).status_code == 403
    assert client.post(f"/admin/{endpoint}/action/", data={"action": "delete", "rowid": muni.id}).status_code == 403
    assert AuditEntry.select().count() == audits and Municipality.get_by_id(muni.id).name == "Solothurn"


def test_auditor_cannot_import(client, auth):
    auth.login("auditor")
    assert client.get("/admin/import/").status_code == 403


# --- rules, each with a failing and a passing case -----------------------------------------------

def _raises(check, *args, field=None, message=""):
    with pytest.raises(DomainError) as info:
        check(*args)
    assert message in info.value.message
    if field:
        assert field in info.value.field_errors


def test_bfs_number_must_be_unique(app, make_municipality):
    make_municipality(bfs_nr=2601, name="Solothurn")
    other = make_municipality(bfs_nr=2602)
    other.bfs_nr = 2601
    _raises(masterdata.check_municipality, other, field="bfs_nr", message="gehört bereits zu Solothurn")
    other.bfs_nr = 2603
    masterdata.check_municipality(other)


def test_r26_successor_must_start_the_day_after(app, make_municipality):
    old = make_municipality(valid_to=date(2025, 12, 31))
    late = make_municipality(valid_from=date(2026, 2, 1))
    old.successor = late
    _raises(masterdata.check_municipality, old, field="successor", message="ab dem 01.01.2026")
    old.successor = make_municipality(valid_from=date(2026, 1, 1))
    masterdata.check_municipality(old)


def test_r12_municipality_belongs_to_one_contract_per_day(app, make_municipality, make_contract):
    a, b, member = make_municipality(), make_municipality(), make_municipality(name="Doppeldorf")
    make_contract(a, [member], valid_from=date(2020, 1, 1), valid_to=date(2023, 12, 31), reference="V-A")
    second = make_contract(b, [], valid_from=date(2023, 1, 1), reference="V-B")
    ContractMember.create(contract=second, municipality=member, valid_from=date(2023, 7, 1))
    _raises(masterdata.check_contract, second, field="members", message="Doppeldorf gehört am 01.07.2023 zu zwei")
    ContractMember.update(valid_from=date(2024, 1, 1)).where(ContractMember.contract == second).execute()
    masterdata.check_contract(second)


def test_r12_lead_is_not_member_of_another_contract(app, make_municipality, make_contract):
    lead, other_lead = make_municipality(name="Leitdorf"), make_municipality()
    own = make_contract(lead, [make_municipality()], reference="V-1")
    masterdata.check_contract(own)
    foreign = make_contract(other_lead, [lead], reference="V-2")
    _raises(masterdata.check_contract, foreign, field="members", message="Leitdorf gehört am")


def test_member_dates_lie_within_the_contract(app, make_municipality, make_contract):
    contract = make_contract(make_municipality(), [], valid_from=date(2024, 1, 1))
    member = ContractMember.create(contract=contract, municipality=make_municipality(), valid_from=date(2023, 1, 1))
    _raises(masterdata.check_contract, contract, field="members", message="innerhalb der Vertragsdauer")
    member.valid_from = date(2024, 7, 1)
    member.save()
    masterdata.check_contract(contract)


@pytest.mark.parametrize("valid_from, valid_to, ok", [
    (date(2027, 1, 1), None, True), (date(2027, 7, 1), None, True), (date(2027, 3, 1), None, False),
    (date(2027, 1, 1), date(2027, 6, 30), True), (date(2027, 1, 1), date(2027, 5, 31), False),
])
def test_r6_tariffs_start_on_a_half_year(app, valid_from, valid_to, ok):
    tariff = Tariff.create(kind="fee_first_info", amount=Decimal("210.00"), valid_from=valid_from,
                           valid_to=valid_to, reference="Test")
    Tariff.update(valid_to=date(2026, 12, 31)).where(
        (Tariff.kind == "fee_first_info") & (Tariff.id != tariff.id)).execute()
    if ok:
        masterdata.check_tariff(tariff)
    else:
        _raises(masterdata.check_tariff, tariff, message="(R6)")


def test_r6_tariffs_of_a_kind_do_not_overlap(app):
    tariff = Tariff.create(kind="fee_first_info", amount=Decimal("210.00"), valid_from=date(2027, 1, 1),
                           reference="Anpassung 2027")
    _raises(masterdata.check_tariff, tariff, field="valid_from", message="Überschneidet sich")
    Tariff.update(valid_to=date(2026, 12, 31)).where(Tariff.id != tariff.id, Tariff.kind == "fee_first_info").execute()
    masterdata.check_tariff(tariff)


def test_r10_population_counts_are_of_31_december_and_not_negative(app, make_municipality):
    count = ForeignPopulation(municipality=make_municipality(), reference_date=date(2024, 6, 30), count=5)
    _raises(masterdata.check_population, count, field="reference_date", message="31. Dezember")
    count.reference_date = date(2024, 12, 31)
    count.count = -1
    _raises(masterdata.check_population, count, field="count")
    count.count = 0
    masterdata.check_population(count)


def test_r18_form_versions_of_a_type_do_not_overlap(app):
    version = FormVersion.create(form_type="report", name="Anhang 2 2024", valid_from=date(2024, 1, 1))
    _raises(masterdata.check_form_version, version, field="valid_from", message="Überschneidet sich")
    FormVersion.update(valid_to=date(2023, 12, 31)).where(
        (FormVersion.form_type == "report") & (FormVersion.valid_from == date(2022, 1, 1))).execute()
    masterdata.check_form_version(version)


def test_r18_a_used_form_version_is_frozen_but_can_be_superseded(client, auth, make_municipality):
    auth.login("admin")
    version = FormVersion.valid_on("report", date(2023, 1, 1))
    Report.create(municipality=make_municipality(), year=2023, half=1, form_version=version, status="submitted")
    data = {"form_type": "report", "name": "Geändert", "valid_from": "2022-01-01", "reference": version.reference}
    response = client.post(f"/admin/formversion/edit/?id={version.id}", data=data)
    assert response.status_code == 200 and "kann nicht mehr geändert werden" in response.get_data(as_text=True)
    assert FormVersion.get_by_id(version.id).name != "Geändert"
    data.update(name=version.name, valid_to="2022-12-31")
    response = client.post(f"/admin/formversion/edit/?id={version.id}", data=data)
    assert "bis 01.01.2023 verwenden diese Version" in response.get_data(as_text=True)
    data["valid_to"] = "2024-12-31"
    response = client.post(f"/admin/formversion/edit/?id={version.id}", data=data)
    assert response.status_code == 302 and FormVersion.get_by_id(version.id).valid_to == date(2024, 12, 31)


def test_r18_new_form_version_with_inline_fields_through_the_admin(client, auth):
    auth.login("admin")
    FormVersion.update(valid_to=date(2026, 12, 31)).where(
        (FormVersion.form_type == "report") & FormVersion.valid_to.is_null()).execute()
    response = client.post("/admin/formversion/new/", data={
        "form_type": "report", "name": "Anhang 2 2027", "valid_from": "2027-01-01", "reference": "Änderung 2027",
        "fields-0-position": "1", "fields-0-key": "first_info_interviews", "fields-0-label": "Gespräche",
        "fields-0-field_type": "integer", "fields-0-required": "y", "fields-0-min_value": "0"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    version = FormVersion.get(FormVersion.name == "Anhang 2 2027")
    assert [f.key for f in version.fields] == ["first_info_interviews"]
    entry = AuditEntry.get(AuditEntry.model == "FormVersion", AuditEntry.record_id == str(version.id))
    assert json.loads(entry.after)["fields"][0]["key"] == "first_info_interviews"


def test_r13_payee_is_lead_or_member_only(client, auth, make_municipality):
    auth.login("admin")
    lead = make_municipality()
    response = client.post("/admin/contract/new/", data={
        "reference": "V", "lead": lead.id, "payee": "sozialregion", "valid_from": "2024-01-01"})
    assert response.status_code == 200 and Contract.select().count() == 0


def test_admin_contract_overlap_is_shown_and_nothing_saved(client, auth, make_municipality, make_contract):
    auth.login("admin")
    member = make_municipality(name="Doppeldorf")
    make_contract(make_municipality(), [member], valid_from=date(2024, 1, 1), reference="V-A")
    response = client.post("/admin/contract/new/", data={
        "reference": "V-B", "lead": make_municipality().id, "payee": "lead", "valid_from": "2025-01-01",
        "members-0-municipality": member.id, "members-0-valid_from": "2025-01-01"})
    assert response.status_code == 200 and "zu zwei Verträgen" in response.get_data(as_text=True)
    assert Contract.select().count() == 1 and ContractMember.select().count() == 1


def test_admin_tariff_error_is_shown_next_to_the_field(client, auth):
    auth.login("admin")
    response = client.post("/admin/tariff/new/", data={
        "kind": "fee_first_info", "amount": "210.00", "valid_from": "2027-03-01", "reference": "X"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'invalid-feedback' in page and "01.07." in page
    assert Tariff.select().count() == 5


def test_r16_clawback_needs_positive_amount_and_reason_and_records_the_decider(client, auth, make_municipality):
    admin = auth.login("admin")
    muni = make_municipality()
    bad = client.post("/admin/clawback/new/", data={"municipality": muni.id, "amount": "0", "reason": "x",
                                                   "decided_on": "2026-01-10"})
    assert bad.status_code == 200 and Clawback.select().count() == 0
    no_reason = client.post("/admin/clawback/new/", data={"municipality": muni.id, "amount": "100", "reason": " ",
                                                         "decided_on": "2026-01-10"})
    assert no_reason.status_code == 200 and Clawback.select().count() == 0
    good = client.post("/admin/clawback/new/", data={"municipality": muni.id, "amount": "1200.50",
                                                    "reason": "Doppelt gemeldet", "decided_on": "2026-01-10"})
    assert good.status_code == 302
    clawback = Clawback.get()
    assert clawback.amount == Decimal("1200.50") and clawback.decided_by_id == admin.id


def test_r14_decision_on_a_report_that_was_not_late_is_refused(app, make_municipality, make_user):
    from models import Decision

    muni = make_municipality()
    report = Report.create(municipality=muni, year=2025, half=1, status="accepted", late=False,
                           form_version=FormVersion.valid_on("report", date(2025, 1, 1)))
    decision = Decision(kind="refuse_late_report", municipality=muni, report=report, reason="zu spät",
                        decided_on=date(2026, 1, 1), decided_by=make_user())
    _raises(masterdata.check_decision, decision, field="report", message="nicht verspätet")
    report.late = True
    report.save()
    masterdata.check_decision(decision)


def test_officer_assignment_picker_lists_officers_only(client, auth, make_user):
    auth.login("admin")
    officer = make_user(role="officer", email="ib@test.so.ch")
    accountant = make_user(role="accountant", email="konto@test.so.ch")
    page = client.get("/admin/officerassignment/new/").get_data(as_text=True)
    assert officer.email in page and accountant.email not in page


# --- filters and search ---------------------------------------------------------------------------

def test_municipality_filters_active_in_year_and_contract_and_bfs_search(app, client, auth, make_municipality,
                                                                        make_contract):
    auth.login("admin")
    old = make_municipality(name="Altdorf", valid_to=date(2025, 12, 31))
    new = make_municipality(name="Neudorf", valid_from=date(2026, 1, 1))
    lead = make_municipality(name="Leitdorf")
    contract = make_contract(lead, [new], valid_from=date(2026, 1, 1))
    page = client.get("/admin/municipality/").get_data(as_text=True)
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is Municipality)
    index = {type(f).__name__: i for i, f in enumerate(view._filters)}
    index = {"year": index["ActiveInYearFilter"], "contract": index["ContractFilter"]}
    year_page = client.get(f"/admin/municipality/?flt0_{index['year']}=2026").get_data(as_text=True)
    assert "Neudorf" in year_page and "Altdorf" not in year_page
    contract_page = client.get(f"/admin/municipality/?flt0_{index['contract']}={contract.id}").get_data(as_text=True)
    assert "Neudorf" in contract_page and "Leitdorf" in contract_page and "Altdorf" not in contract_page
    assert "Gültig im Jahr" in page and "Vertrag" in page
    bfs_page = client.get(f"/admin/municipality/?search={old.bfs_nr}").get_data(as_text=True)
    assert "Altdorf" in bfs_page and "Neudorf" not in bfs_page


def test_user_list_filters_by_role(client, auth, make_user):
    auth.login("admin")
    make_user(role="accountant", email="konto@test.so.ch")
    page = client.get("/admin/user/?flt0_0=accountant").get_data(as_text=True)
    assert "konto@test.so.ch" in page


# --- import upload -> preview -> confirm ----------------------------------------------------------

def _upload(client, kind, content, name="daten.csv"):
    return client.post("/admin/import/", data={"kind": kind, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_admin_import_previews_then_saves_on_confirm(client, auth):
    auth.login("admin")
    preview = _upload(client, "municipalities", b"bfs_nr,name,district\n2601,Solothurn,Solothurn\n")
    page = preview.get_data(as_text=True)
    assert "Probelauf: 1 Zeilen, 1 neu" in page and Municipality.select().count() == 0
    token = page.split('name="token" value="')[1].split('"')[0]
    confirmed = client.post("/admin/import/confirm", data={"kind": "municipalities", "token": token})
    assert confirmed.status_code == 302 and Municipality.get().name == "Solothurn"
    again = client.post("/admin/import/confirm", data={"kind": "municipalities", "token": token})
    assert again.status_code == 302 and Municipality.select().count() == 1  # a token is used once


def test_admin_import_preview_lists_bad_rows_and_offers_no_confirm(client, auth):
    auth.login("admin")
    page = _upload(client, "population", b"bfs_nr,reference_date,foreign_residents\n9999,2024-12-31,-3\n"
                                         b"9998,31.02.2024,4\n").get_data(as_text=True)
    assert "<td>2</td>" in page and "kleiner als 0" in page and "<td>3</td>" in page
    assert "kein gültiges Datum" in page and 'name="token"' not in page


@pytest.mark.parametrize("content, name, message", [
    (b"", "leer.csv", "leer"),
    (b"\x89PNG\r\n", "bild.png", "Nur CSV- oder XLSX"),
    (b"foo,bar\n1,2\n", "x.csv", "Falsche Kopfzeile"),
])
def test_admin_import_refuses_unusable_files_next_to_the_field(client, auth, content, name, message):
    auth.login("admin")
    page = _upload(client, "municipalities", content, name).get_data(as_text=True)
    assert message in page


def test_admin_import_of_a_20_mb_file_is_refused(client, auth):
    auth.login("admin")
    # A raw body: the test client would spool a multipart body of this size to an unclosed temp file.
    response = client.post("/admin/import/", data=b"x" * (20 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=grenze")
    assert response.status_code == 413 and Municipality.select().count() == 0


def test_admin_import_confirm_with_a_forged_token_is_refused(client, auth):
    auth.login("admin")
    assert client.post("/admin/import/confirm", data={"kind": "population", "token": "../../etc"}).status_code == 400


# --- start page -----------------------------------------------------------------------------------

def test_start_page_lists_gaps_before_the_next_payout(client, auth, make_municipality, make_user):
    auth.login("admin")
    covered = make_municipality(name="Mitbestand")
    missing = make_municipality(name="Ohnebestand")
    make_user(role="officer", municipality=covered)
    for year in range(2020, 2030):
        ForeignPopulation.create(municipality=covered, reference_date=date(year, 12, 31), count=10)
    page = client.get("/admin/").get_data(as_text=True)
    gaps = page.split('id="missing-counts"')[1].split("</details>")[0]
    assert missing.name in gaps and covered.name not in gaps
    without = page.split('id="without-officer"')[1].split("</details>")[0]
    assert missing.name in without and covered.name not in without
    assert "Reportings pro Periode" in page and "Frist" in page


def test_start_page_counts_predecessors_for_a_new_municipality(app, make_municipality):
    from services.overview import admin_overview

    new = make_municipality(name="Neustadt", valid_from=date(2026, 1, 1))
    for name in ("Alt A", "Alt B"):
        old = make_municipality(name=name, valid_to=date(2025, 12, 31), successor=new)
        ForeignPopulation.create(municipality=old, reference_date=date(2025, 12, 31), count=3)
    overview = admin_overview(date(2027, 1, 10))  # next run 31.03.2027 needs 31.12.2025
    assert new.name not in [m.name for m in overview["missing_counts"]]  # R26
    assert FormField.select().count() > 0
    counts = dict(overview["counts"])  # ten totals read in one statement
    assert counts["Gemeinden"] == 3 and counts["Ausländerbestände"] == 2 and counts["Reportings"] == 0
    assert counts["Formularversionen"] == FormVersion.select().count() > 0
