"""Issue 7 fuzzing: hostile values posted to every kind of form, 5,100 examples in all (1500 + 1000 + 1000 + 600 +
500 + 500); issue 20 adds the query strings of the admin lists (600) and raw import files (400).

Never a 500, never stored unescaped markup, never a partial write.
"""
import io

import pytest
from conftest import PG_URL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import AuditEntry, Clawback, Municipality, Report, SelfDeclaration, Tariff


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MARKUP = "<script>alert(1)</script>"
# The fuzzing runs in the SQLite pass of CI; the PostgreSQL pass covers the same code paths elsewhere.
pytestmark = pytest.mark.skipif(bool(PG_URL), reason="Fuzzing läuft im SQLite-Durchgang (5’100 Beispiele)")
hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from([MARKUP, "<img src=x onerror=alert(1)>", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\x00",
                     "１２", "NaN", "inf", "-0", "1e309", "9" * 40, "1.5", " 3 ", "\u202e", "' OR 1=1 --",
                     "x" * 6000, "\r\n\t"]),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
)
big = st.just("A" * 1_000_000)


def _assert_safe(response, *texts):
    assert response.status_code < 500, response.status_code
    html = response.get_data(as_text=True)
    for text in texts:
        if "<script" in text or "<img" in text:
            assert text not in html
    return html


@pytest.fixture
def admin_client(client, auth):
    auth.login("admin")
    return client


@pytest.fixture
def officer_client(client, auth, make_municipality, make_user):
    muni = make_municipality(bfs_nr=2601, name="Fuzzdorf")
    auth.login(user=make_user("officer", municipality=muni))
    return client, muni


@given(values=st.fixed_dictionaries({key: hostile_text for key in (
    "first_info_interviews", "first_info_interpreter", "integration_interviews", "integration_interpreter",
    "integration_confirmation", "interpreter_justification", "remarks")}), action=st.sampled_from(["save", "submit"]))
@fuzz(1500)
def test_fuzz_report_form(officer_client, values, action):
    client, muni = officer_client
    before = Report.get_or_none(Report.municipality == muni.id)
    before_values = before.values_json if before else None
    response = client.post(f"/gemeinden/{muni.id}/reporting/2025/2", data={**values, "action": action})
    _assert_safe(response, *values.values())
    after = Report.get_or_none(Report.municipality == muni.id)
    if response.status_code == 200:  # refused: nothing changed
        assert (after.values_json if after else None) == before_values
    else:  # saved: every count is a whole number within its bounds
        for key in ("first_info_interviews", "first_info_interpreter"):
            assert 0 <= after.values[key] <= 100_000
        assert all(not isinstance(v, str) or len(v) <= 5000 for v in after.values.values())
    if after:
        page = client.get(f"/gemeinden/{muni.id}/reporting/2025/2").get_data(as_text=True)
        assert MARKUP not in page


@given(values=st.fixed_dictionaries({key: hostile_text for key in (
    "task_contact_point", "task_reporting", "task_reporting_comment", "officer_name", "course_attendance",
    "network_meeting_attendance")}))
@fuzz(1000)
def test_fuzz_self_declaration_form(officer_client, values):
    client, muni = officer_client
    before = SelfDeclaration.get_or_none(SelfDeclaration.municipality == muni.id)
    snapshot = before.values_json if before else None
    response = client.post(f"/gemeinden/{muni.id}/selbstdeklaration/2026", data={**values, "action": "save"})
    _assert_safe(response, *values.values())
    after = SelfDeclaration.get_or_none(SelfDeclaration.municipality == muni.id)
    if response.status_code == 200:
        assert (after.values_json if after else None) == snapshot
    else:
        assert after.values.get("task_contact_point") in (None, "fulfilled", "partly", "not")


@given(values=st.fixed_dictionaries({"bfs_nr": hostile_text, "name": hostile_text, "district": hostile_text,
                                     "iban": hostile_text, "valid_from": hostile_text, "valid_to": hostile_text,
                                     "finance_email": hostile_text}))
@fuzz(1000)
def test_fuzz_admin_municipality_form(admin_client, values):
    client = admin_client
    count, audits = Municipality.select().count(), AuditEntry.select().count()
    response = client.post("/admin/municipality/new/", data=values)
    _assert_safe(response, *values.values())
    created = Municipality.select().count() - count
    assert AuditEntry.select().count() - audits == created  # a write and its audit entry, or neither
    if created:
        muni = Municipality.select().order_by(Municipality.id.desc()).get()
        assert 1000 <= muni.bfs_nr <= 9999
        listing = client.get("/admin/municipality/").get_data(as_text=True)
        assert MARKUP not in listing


@given(values=st.fixed_dictionaries({"kind": st.sampled_from(["fee_first_info", "x", ""]), "amount": hostile_text,
                                     "valid_from": hostile_text, "reference": hostile_text}),
       clawback=st.fixed_dictionaries({"amount": hostile_text, "reason": hostile_text, "decided_on": hostile_text}))
@fuzz(600)
def test_fuzz_admin_money_forms(admin_client, make_municipality, values, clawback):
    client = admin_client
    muni = Municipality.get_or_none(Municipality.bfs_nr == 2601) or make_municipality(bfs_nr=2601)
    tariffs, clawbacks = Tariff.select().count(), Clawback.select().count()
    _assert_safe(client.post("/admin/tariff/new/", data=values), *values.values())
    _assert_safe(client.post("/admin/clawback/new/", data={**clawback, "municipality": muni.id}), *clawback.values())
    for tariff in Tariff.select():
        assert tariff.amount >= 0 and (tariff.valid_from.month, tariff.valid_from.day) in ((1, 1), (7, 1))
    for row in Clawback.select():
        assert row.amount > 0 and row.reason.strip()
    assert Tariff.select().count() - tariffs in (0, 1) and Clawback.select().count() - clawbacks in (0, 1)


@given(cells=st.lists(st.tuples(hostile_text, hostile_text, hostile_text), min_size=1, max_size=5),
       separator=st.sampled_from([",", ";"]))
@fuzz(500)
def test_fuzz_import_upload(admin_client, cells, separator):
    client = admin_client
    body = "bfs_nr,reference_date,foreign_residents\n".replace(",", separator) + "".join(
        separator.join(c.replace(separator, " ").replace("\n", " ") for c in row) + "\n" for row in cells)
    response = client.post("/admin/import/", data={"kind": "population", "file": (io.BytesIO(body.encode()), "x.csv")},
                           content_type="multipart/form-data")
    html = _assert_safe(response, *[c for row in cells for c in row])
    assert "Probelauf" in html or "Fehler" in html or "Datei" in html


LIST_PAGES = ["/admin/municipality/", "/admin/auditentry/", "/admin/officerassignment/", "/admin/contract/",
              "/admin/user/", "/admin/foreignpopulation/", "/admin/tariff/"]
hostile_number = st.one_of(hostile_text, st.sampled_from(["²", "٣", "9" * 20, "9" * 40, "-9" * 10, "0x10", "1_0"]))


@given(page=st.sampled_from(LIST_PAGES), params=st.dictionaries(
    st.sampled_from(["search", "page", "page_size", "sort", "desc", "flt0_0", "flt1_1", "flt2_2", "flt3_3", "id",
                     "url"]), hostile_number, max_size=4))
@fuzz(600)
def test_fuzz_admin_list_query_strings(admin_client, page, params):
    """Issue 20: `?search=²`, huge `?page=` and filter values gave 500s; never again, on any list."""
    response = admin_client.get(page, query_string=params)
    _assert_safe(response, *params.values())
    if response.status_code == 302:
        assert "evil" not in response.headers["Location"] and response.headers["Location"].startswith(("/", "http://localhost"))


@given(data=st.one_of(st.binary(max_size=2000), st.sampled_from([b"\xef\xbb\xbf", b"PK\x03\x04", b"PK\x03\x04" + b"\0" * 100,
                                                                 b'"unclosed,quote\n', b"\r\r\r", b"a\0b"])),
       name=st.sampled_from(["x.csv", "x.xlsx", "x", "ä" * 130 + ".csv", "../../etc/passwd"]))
@fuzz(400)
def test_fuzz_import_files(admin_client, data, name):
    """Issue 20: every file, however broken, gets a German answer next to the field, never a 500."""
    response = admin_client.post("/admin/import/", data={"kind": "municipalities", "file": (io.BytesIO(data), name)},
                                 content_type="multipart/form-data")
    _assert_safe(response)
    assert response.status_code == 200


@given(email=hostile_text, password=st.one_of(hostile_text, big), next_=hostile_text)
@fuzz(500)
def test_fuzz_login(app, email, password, next_):
    from extensions import limiter

    limiter.reset()
    client = app.test_client()
    response = client.post(f"/login?next={next_[:200]}", data={"email": email, "password": password})
    _assert_safe(response, email)
    if response.status_code == 302:
        pytest.fail("a hostile login succeeded")
