"""R24, §6: random samples on the database and through the pages — draw, evidence, outcome, clawback proposal."""
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from auth.errors import PermissionDenied
from models import AuditEntry, Clawback, Evidence, FormVersion, OutboxMessage, Report, Sample, SampleItem
from services import evidence, exports, samples
from services.errors import DomainError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
HTML = b"<html><script>alert(1)</script></html>"


def _report(municipality, year, half, status="accepted"):
    return Report.create(municipality=municipality, year=year, half=half, status=status,
                         form_version=FormVersion.valid_on("report", date(year, 1 if half == 1 else 7, 1)))


@pytest.fixture
def world(app, make_municipality, make_user):
    """Two districts: Lebern (Aadorf, Bedorf) and Thal (Cedorf); accepted reports of 2025, one draft."""
    a = make_municipality(name="Aadorf", district="Lebern", finance_email="finanzen@aadorf.ch")
    b = make_municipality(name="Bedorf", district="Lebern")
    c = make_municipality(name="Cedorf", district="Thal")
    for muni in (a, b, c):
        _report(muni, 2025, 1)
        _report(muni, 2025, 2)
    _report(a, 2024, 2)  # another year
    _report(make_municipality(name="Entwurfdorf", district="Thal"), 2025, 1, status="draft")
    users = {"auditor": make_user("auditor"), "admin": make_user("admin"),
             "officer_a": make_user("officer", municipality=a, email="ib@aadorf.ch"),
             "officer_c": make_user("officer", municipality=c, email="ib@cedorf.ch")}
    return {"a": a, "b": b, "c": c, **users}


def _snapshot():
    return (Sample.select().count(), SampleItem.select().count(), Evidence.select().count(),
            AuditEntry.select().count(), OutboxMessage.select().count(), Clawback.select().count())


def _item_of(world, key, sample):
    return SampleItem.get((SampleItem.sample == sample) & (SampleItem.municipality == world[key].id))


def test_r24_the_same_seed_and_population_draw_the_same_sample(world):
    """R24: the sample, its seed and population size are recorded; the seed reproduces the items."""
    first = samples.draw_sample(world["auditor"], 2025, method="count", value=3, seed="20250101")
    again = samples.draw_sample(world["auditor"], 2025, method="count", value=3, seed="20250101")
    ids = [[i.report_id for i in s.items.order_by(SampleItem.report)] for s in (first, again)]
    assert ids[0] == ids[1] and len(ids[0]) == 3
    assert (first.seed, first.size, first.population_size) == ("20250101", 3, 6)  # the draft and 2024 are out
    entry = AuditEntry.get((AuditEntry.model == "Sample") & (AuditEntry.record_id == str(first.id)))
    assert json.loads(entry.after)["report_ids"] == ids[0] and entry.user_id == world["auditor"].id
    assert AuditEntry.select().where(AuditEntry.model == "SampleItem").count() == 6


def test_r24_without_a_seed_one_is_drawn_and_recorded(world):
    sample = samples.draw_sample(world["auditor"], 2025, method="percent", value=50, seed="")
    assert sample.seed.isdigit() and sample.size == 3 and sample.percent == 50
    again = samples.draw_sample(world["auditor"], 2025, method="percent", value=50, seed=sample.seed)
    assert sorted(i.report_id for i in again.items) == sorted(i.report_id for i in sample.items)


def test_r24_stratified_sample_takes_each_district_in_proportion(world):
    sample = samples.draw_sample(world["auditor"], 2025, method="count", value=3, seed="7", stratified=True)
    by_district = sorted(item.district for item in sample.items)
    assert by_district == ["Lebern", "Lebern", "Thal"]  # 4 : 2 reports → 2 : 1


def test_r24_a_district_filter_limits_the_population(world):
    sample = samples.draw_sample(world["auditor"], 2025, method="percent", value=100, seed="1", district="Thal")
    assert sample.population_size == 2 and {i.municipality_id for i in sample.items} == {world["c"].id}


@pytest.mark.parametrize("kwargs, field, message", [
    ({"method": "count", "value": 7, "seed": "1"}, "value", "grösser als die Grundgesamtheit (6"),
    ({"method": "percent", "value": 0, "seed": "1"}, "value", "zwischen 1 und 100"),
    ({"method": "percent", "value": 101, "seed": "1"}, "value", "zwischen 1 und 100"),
    ({"method": "count", "value": 1, "seed": "zwölf"}, "seed", "Startwert"),
    ({"method": "count", "value": 1, "seed": "-3"}, "seed", "Startwert"),
    ({"method": "count", "value": 1, "seed": "1", "district": "Atlantis"}, "district", "Unbekannter Bezirk"),
])
def test_r24_refused_samples_write_nothing(world, kwargs, field, message):
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        samples.draw_sample(world["auditor"], 2025, **kwargs)
    assert message in refused.value.message and field in refused.value.field_errors
    assert _snapshot() == before


def test_r24_only_the_auditor_draws(world):
    for user in (world["admin"], world["officer_a"]):
        with pytest.raises(PermissionDenied):
            samples.draw_sample(user, 2025, method="count", value=1, seed="1")


def test_r24_evidence_request_goes_to_the_responsible_officers_once(world):
    """R24, R12: the request is queued in the outbox to the municipality's officers; a repeat writes nothing."""
    sample = samples.draw_sample(world["auditor"], 2025, method="percent", value=100, seed="1")
    assert samples.request_all(world["auditor"], sample.id) == 6
    messages = list(OutboxMessage.select().where(OutboxMessage.kind == "evidence_request"))
    assert len(messages) == 6
    to_a = [m for m in messages if m.municipality_id == world["a"].id]
    assert {tuple(r)[1] for m in to_a for r in json.loads(m.recipients_json)} == {"ib@aadorf.ch"}
    assert "Belege" in to_a[0].subject and "Aadorf" in to_a[0].body
    to_b = [m for m in messages if m.municipality_id == world["b"].id]
    assert {m.status for m in to_b} == {"no_address"}  # no officer: listed, never lost
    before = _snapshot()
    assert samples.request_all(world["auditor"], sample.id) == 0
    assert samples.request_evidence(world["auditor"], _item_of(world, "a", sample).id) is False
    assert _snapshot() == before


@pytest.fixture
def requested(world):
    """A sample of all six reports with evidence requested."""
    sample = samples.draw_sample(world["auditor"], 2025, method="percent", value=100, seed="5")
    samples.request_all(world["auditor"], sample.id)
    return sample


def _upload(client, item, name, data):
    return client.post(f"/belege/{item.id}", data={f"i{item.id}-file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("name, data, message", [
    ("Beleg.pdf", PNG, "nicht, was ihr Name sagt"),
    ("Beleg.pdf", HTML, "nicht, was ihr Name sagt"),
    ("Foto.png", JPEG, "nicht, was ihr Name sagt"),
    ("Beleg.html", HTML, "Nur PDF-, JPEG- oder PNG-Dateien"),
    ("../x.pdf", PDF, "keinen Pfad"),
    ("..\\..\\x.pdf", PDF, "keinen Pfad"),
    ("/etc/x.pdf", PDF, "keinen Pfad"),
    ("Beleg\u202efdp.pdf", PDF, "keinen Pfad"),
    ("leer.pdf", b"", "Die Datei ist leer"),
    ("gross.pdf", PDF + b"0" * 2000, "zu gross"),
])
def test_r24_bad_uploads_are_refused_in_german_and_nothing_is_written(app, client, auth, world, requested, name, data,
                                                                      message):
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    auth.login(user=world["officer_a"])
    item = _item_of(world, "a", requested)
    before = _snapshot()
    response = _upload(client, item, name, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _snapshot() == before
    directory = Path(app.config["EVIDENCE_DIR"])
    assert not directory.exists() or list(directory.iterdir()) == []


def test_r24_evidence_is_stored_outside_static_under_a_random_name_and_served_as_download(app, client, auth, world,
                                                                                          requested):
    auth.login(user=world["officer_a"])
    item = _item_of(world, "a", requested)
    response = _upload(client, item, "Quittung März.pdf", PDF)
    assert "Beleg hochgeladen" in response.get_data(as_text=True)
    stored = Evidence.get()
    assert (stored.original_name, stored.content_type, stored.size) == \
        ("Quittung März.pdf", "application/pdf", len(PDF))
    path = Path(app.config["EVIDENCE_DIR"]) / stored.stored_name
    assert path.read_bytes() == PDF and len(stored.stored_name) == 32 and "static" not in path.parts
    assert AuditEntry.get((AuditEntry.model == "Evidence") & (AuditEntry.action == "create")).user_id == \
        world["officer_a"].id
    for reader in ("officer_a", "auditor", "admin"):
        auth.logout()
        auth.login(user=world[reader])
        download = client.get(f"/belege/datei/{stored.id}")
        assert download.status_code == 200 and download.data == PDF, reader
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"] == f'attachment; filename="Beleg_{stored.id}.pdf"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_r12_an_officer_can_neither_upload_to_nor_download_from_a_foreign_municipality(app, client, auth, world,
                                                                                       requested):
    """R12: Cedorf's officer sees only Cedorf's items; Aadorf's item and evidence answer 404, nothing written."""
    auth.login(user=world["officer_a"])
    own = _item_of(world, "a", requested)
    _upload(client, own, "Beleg.pdf", PDF)
    auth.logout()
    auth.login(user=world["officer_c"])
    page = client.get("/belege").get_data(as_text=True)
    assert "Cedorf" in page and "Aadorf" not in page and "Bedorf" not in page
    before = _snapshot()
    response = client.post(f"/belege/{own.id}", data={f"i{own.id}-file": (io.BytesIO(PDF), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert client.get(f"/belege/datei/{Evidence.get().id}").status_code == 404
    assert _snapshot() == before
    with pytest.raises(PermissionDenied):
        evidence.upload(world["officer_c"], own.id, "x.pdf", PDF, Path(app.config["EVIDENCE_DIR"]), 10**6)


def test_r24_no_upload_before_a_request_or_after_the_outcome(app, world):
    sample = samples.draw_sample(world["auditor"], 2025, method="percent", value=100, seed="5")
    item = _item_of(world, "a", sample)
    directory = Path(app.config["EVIDENCE_DIR"])
    with pytest.raises(DomainError, match="keine Belege angefordert"):
        evidence.upload(world["officer_a"], item.id, "x.pdf", PDF, directory, 10**6)
    samples.request_evidence(world["auditor"], item.id)
    samples.judge(world["auditor"], item.id, "ok")
    with pytest.raises(DomainError, match="bereits beurteilt"):
        evidence.upload(world["officer_a"], item.id, "x.pdf", PDF, directory, 10**6)


def test_r24_auditor_draws_through_the_page_and_sees_refusals_next_to_the_field(client, auth, world):
    auth.login(user=world["auditor"])
    before = _snapshot()
    for data, message in (({"seed": "abc", "value": "1"}, "Startwert (Seed) muss eine ganze Zahl"),
                          ({"seed": "1", "value": "99"}, "grösser als die Grundgesamtheit"),
                          ({"seed": "1", "value": "101", "method": "percent"}, "zwischen 1 und 100"),
                          ({"seed": "1", "value": "zwei"}, "ganze Zahl")):
        response = client.post("/stichproben", data={"year": "2025", "method": "count", **data})
        assert response.status_code == 200 and message in response.get_data(as_text=True), message
        assert "invalid-feedback" in response.get_data(as_text=True)
    assert _snapshot() == before
    response = client.post("/stichproben", data={"year": "2025", "method": "count", "value": "2", "seed": "11",
                                                 "stratified": "y"})
    assert response.status_code == 302
    sample = Sample.get()
    assert sample.stratified and sample.seed == "11"
    page = client.get(f"/stichproben/{sample.id}").get_data(as_text=True)
    assert "11" in page and "Lebern" in page


def test_r24_outcome_objection_with_amount_proposes_a_clawback_the_admin_decides(client, auth, world, requested):
    """R24, R16, §4.7: a Beanstandung with an amount becomes a clawback only by the admin's decision, audited."""
    item = _item_of(world, "a", requested)
    auth.login(user=world["auditor"])
    response = client.post(f"/stichproben/posten/{item.id}",
                           data={"outcome": "objection", "amount": "1’250.50", "text": "Gespräche nicht belegt"})
    assert response.status_code == 302
    item = SampleItem.get_by_id(item.id)
    assert (item.outcome, item.amount, item.proposal) == ("objection", Decimal("1250.50"), "open")
    assert client.post(f"/stichproben/posten/{item.id}/entscheid", data={"decision": "accept"}).status_code == 403
    with pytest.raises(PermissionDenied):
        samples.decide_proposal(world["auditor"], item.id, True)
    assert Clawback.select().count() == 0
    auth.logout()
    auth.login(user=world["admin"])
    assert "1’250.50" in client.get("/stichproben/vorschlaege").get_data(as_text=True)
    response = client.post(f"/stichproben/posten/{item.id}/entscheid", data={"decision": "accept"},
                           follow_redirects=True)
    assert "Rückforderung erfasst" in response.get_data(as_text=True)
    clawback = Clawback.get()
    assert (clawback.municipality_id, clawback.amount, clawback.source_report_id) == \
        (world["a"].id, Decimal("1250.50"), item.report_id)
    assert "Gespräche nicht belegt" in clawback.reason and clawback.decided_by_id == world["admin"].id
    item = SampleItem.get_by_id(item.id)
    assert (item.proposal, item.clawback_id) == ("accepted", clawback.id)
    assert AuditEntry.select().where((AuditEntry.model == "Clawback") & (AuditEntry.action == "create")).count() == 1
    assert AuditEntry.select().where((AuditEntry.model == "SampleItem") & (AuditEntry.record_id == str(item.id))
                                     & (AuditEntry.user == world["admin"].id)).count() == 1
    with pytest.raises(DomainError, match="kein offener"):
        samples.decide_proposal(world["admin"], item.id, True)  # decided once
    with pytest.raises(DomainError, match="entschieden"):
        samples.judge(world["auditor"], item.id, "ok")  # the outcome stays


def test_r24_a_proposal_is_dismissed_only_with_a_reason(world, requested):
    item = _item_of(world, "c", requested)
    samples.judge(world["auditor"], item.id, "objection", "80.00", "Dolmetscheinsatz ohne Beleg")
    before = _snapshot()
    with pytest.raises(DomainError, match="begründen"):
        samples.decide_proposal(world["admin"], item.id, False, "  ")
    assert _snapshot() == before
    samples.decide_proposal(world["admin"], item.id, False, "Beleg nachgereicht")
    assert SampleItem.get_by_id(item.id).proposal == "dismissed" and Clawback.select().count() == 0


@pytest.mark.parametrize("outcome, amount, text, field", [
    ("objection", None, "", "text"),
    ("ok", "10.00", "", "amount"),
    ("objection", "-5", "x", "amount"),
    ("objection", "1.005", "x", "amount"),
    ("objection", "NaN", "x", "amount"),
    ("vielleicht", None, "", "outcome"),
])
def test_r24_invalid_outcomes_are_refused_and_write_nothing(world, requested, outcome, amount, text, field):
    item = _item_of(world, "a", requested)
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        samples.judge(world["auditor"], item.id, outcome, amount, text)
    assert field in refused.value.field_errors
    assert _snapshot() == before


def test_r24_an_objection_without_amount_proposes_nothing(world, requested):
    item = samples.judge(world["auditor"], _item_of(world, "b", requested).id, "objection", "", "Formfehler")
    assert item.proposal is None and item.amount is None


def test_r24_the_auditor_has_no_other_write(client, auth, world, requested):
    """§6: the sample actions are the auditor's only writes; runs, reviews, uploads and proposals stay closed."""
    auth.login(user=world["auditor"])
    item = _item_of(world, "a", requested)
    for url in ("/runs", f"/belege/{item.id}", f"/stichproben/posten/{item.id}/entscheid",
                f"/gemeinden/{world['a'].id}/reporting/2025/1"):
        assert client.post(url, data={}).status_code in (403, 404), url


def test_r24_sample_list_exports_to_xlsx_and_reads_back(client, auth, world, requested):
    """R24: the list with state and outcome; user text stays text (no formula), amounts are numbers."""
    samples.judge(world["auditor"], _item_of(world, "a", requested).id, "objection", "99.95", "=HYPERLINK(\"x\")")
    samples.judge(world["auditor"], _item_of(world, "b", requested).id, "ok")
    auth.login(user=world["admin"])
    response = client.get(f"/stichproben/{requested.id}/stichprobe.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="Stichprobe_{requested.id}_2025.xlsx"'
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Stichprobe"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Posten", "BFS-Nr", "Gemeinde") and len(rows) == 1 + 6 + 1
    objection = next(r for r in rows[1:] if r[9] == "Beanstandung")
    assert objection[2] == "Aadorf" and objection[10] == 99.95 and objection[11] == "=HYPERLINK(\"x\")"
    assert objection[13] == "offen"
    assert sum(1 for r in rows[1:-1] if r[9] == "In Ordnung") == 1 and rows[-1][9] == "Total Beanstandungen"
    about = dict(book["Ziehung"].iter_rows(min_row=2, values_only=True))
    assert about["Startwert (Seed)"] == "5" and about["Umfang"] == 6 and about["Grundgesamtheit"] == 6


def test_r24_export_service_returns_bytes_without_flask(world, requested):
    book = load_workbook(io.BytesIO(exports.sample_list(requested)))
    assert book.sheetnames == ["Stichprobe", "Ziehung"]


HOSTILE = st.one_of(st.text(max_size=30), st.sampled_from(["", "0", "-1", "1e3", "NaN", "１２", "99999999999999999999",
                                                           "=HYPERLINK(\"x\")", "<script>x</script>", "\x00", "2025"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=HOSTILE, method=st.sampled_from(["count", "percent", "x", ""]), value=HOSTILE, seed=HOSTILE,
       district=HOSTILE)
def test_r24_hostile_draw_form_input_never_errors_and_refusals_write_nothing(client, auth, world, year, method, value,
                                                                           seed, district):
    """FUZZ-01 for the draw form: a German refusal (200) with nothing written, or a recorded sample (302)."""
    with client.session_transaction() as session:
        logged_in = "_user_id" in session
    if not logged_in:
        auth.login(user=world["auditor"])
    before = _snapshot()
    response = client.post("/stichproben", data={"year": year, "method": method, "value": value, "seed": seed,
                                                  "district": district})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _snapshot() == before
        assert "<script>x</script>" not in response.get_data(as_text=True)
    else:
        assert Sample.select().count() == before[0] + 1
