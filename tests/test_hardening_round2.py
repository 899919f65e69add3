"""Hardening, second round (issue 20): each finding of the probe reproduced at the level it was found."""
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from test_portal import GOOD, _url, lead_setup  # noqa: F401 - the fixture is used by name

from auth.redirects import same_site_location
from core.numbers import parse_int
from core.text import text_problem
from models import FormField, Municipality, PayoutLine, PayoutRun, Report
from services.errors import DomainError
from services.tabular import MAX_COLUMNS, MAX_ROWS, MAX_UNZIPPED_BYTES, CellError, read_table
from services.tabular import text as tabular_text

OFFSITE = ["http:evil.example", "https:evil.example", "//evil.example", "http://evil.example/", "/\\evil.example",
           "https:/evil.example", "\\\\evil.example", "http:%2F%2Fevil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFFSITE)
@pytest.mark.parametrize("page", ["details/?id={id}", "edit/?id={id}", "new/?", "details/?id=0"])
def test_admin_url_parameter_never_redirects_off_site(client, auth, make_municipality, page, target):
    """Finding 1: Flask-Admin's `url` parameter took `http:evil.example` as a local target."""
    muni = make_municipality()
    auth.login("admin")
    path = "/admin/municipality/" + page.format(id=muni.id) + "&url=" + target
    response = client.get(path)
    if response.status_code in (301, 302, 303, 307, 308):
        assert same_site_location(response.headers["Location"], "localhost"), response.headers["Location"]
        assert "evil" not in response.headers["Location"]
    # a form page (edit/new) carries the return url in its cancel link: it must not lead off-site either
    assert b'href="http:evil' not in response.data and b'href="https:evil' not in response.data


def test_admin_delete_with_offsite_url_returns_to_the_site(client, auth, make_municipality):
    muni = make_municipality()
    auth.login("admin")
    response = client.post("/admin/municipality/delete/", data={"id": muni.id, "url": "http:evil.example"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


@pytest.mark.parametrize("location, expected", [
    ("/admin/municipality/", True), ("http://localhost/admin/", True), ("https://localhost/x", True),
    ("http:evil.example", False), ("http:///evil.example", False), ("//evil.example", False),
    ("http://evil.example/", False), ("http://localhost.evil.example/", False), ("/\\evil.example", False),
])
def test_same_site_location(location, expected):
    assert same_site_location(location, "localhost") is expected


BIG = "9" * 20


@pytest.mark.parametrize("path", [
    "/admin/municipality/?search=²", "/admin/municipality/?search=%EF%BC%91", f"/admin/municipality/?page={BIG}",
    f"/admin/municipality/?page={BIG * 2}", "/admin/municipality/?page=-3", f"/admin/municipality/?page_size={BIG}",
    f"/admin/municipality/details/?id={BIG}", f"/admin/municipality/edit/?id={BIG * 2}",
    "/admin/municipality/details/?id=²", f"/admin/auditentry/?page={BIG}", f"/runs/{BIG}", f"/runs/{BIG * 2}",
    f"/runs/{BIG}/lines", f"/admin/officerassignment/details/?id={BIG}",
])
def test_numbers_that_overflow_or_only_look_like_digits_never_give_a_500(client, auth, make_municipality, path):
    """Finding 3: `isdigit()` accepted `²`, and 20-digit ids overflowed SQLite's integers."""
    make_municipality()
    auth.login("admin")
    response = client.get(path)
    assert response.status_code in (200, 302, 404), (path, response.status_code)


def test_admin_filters_refuse_superscript_and_huge_numbers(client, auth):
    auth.login("admin")
    page = client.get("/admin/municipality/").get_data(as_text=True)
    filters = sorted(set(re.findall(r'data-name="(flt[^"]*)"|name="(flt[^"]*)"', page)))
    year_and_contract = [f"/admin/municipality/?flt0_{index}={value}" for index in range(0, 12)
                         for value in ("²", BIG, "٣")]
    for path in year_and_contract:
        assert client.get(path).status_code in (200, 302), (path, filters)


@pytest.mark.parametrize("raw", ["--5", "-", "5-", "²", "１２", "1_000", "1e3", "7 7"])
def test_r20_count_fields_answer_in_german_for_malformed_numbers(client, auth, lead_setup, raw):
    """Finding 6: `--5` showed Python's English `invalid literal for int()`."""
    auth.login(user=lead_setup["officer"])
    page = client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": raw, "action": "save"})
    text = page.get_data(as_text=True)
    assert "Bitte eine ganze Zahl ohne Kommastellen eingeben." in text and "invalid literal" not in text
    assert Report.select().count() == 0


def test_report_post_without_its_version_is_refused_and_nothing_overwritten(client, auth, lead_setup):
    """Finding 5: a post without `lock` overwrote a newer value."""
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"]), data={**GOOD, "action": "save"})
    for lock in (None, "", "x", "²", "-1", BIG * 2):
        data = {**GOOD, "first_info_interviews": "99", "action": "save"}
        if lock is not None:
            data["lock"] = lock
        text = client.post(_url(lead_setup["lead"]), data=data, follow_redirects=True).get_data(as_text=True)
        assert "nichts überschrieben" in text
    assert Report.get().count("first_info_interviews") == 4


@pytest.mark.parametrize("action", ["/annehmen", "/zurueckweisen"])
def test_review_without_a_valid_version_is_refused(client, auth, lead_setup, action):
    """Finding 5: accept/return skipped the version check when `lock` was not digits."""
    auth.login(user=lead_setup["officer"])
    client.post(_url(lead_setup["lead"]), data={**GOOD, "action": "save"})
    client.post(_url(lead_setup["lead"], suffix="/einreichen"), data={"lock": str(Report.get().version)})
    auth.logout()
    auth.login("admin")
    for lock in (None, "abc", "²"):
        data = {"reason": "Bitte korrigieren"} | ({"lock": lock} if lock is not None else {})
        client.post(_url(lead_setup["lead"], suffix=action), data=data)
        assert Report.get().status == "submitted"


@pytest.mark.parametrize("raw, expected", [("12", 12), ("-5", -5), (" 7 ", 7), ("--5", None), ("²", None),
                                           ("１２", None), ("1_000", None), (BIG, None), ("", None), (None, None)])
def test_parse_int_takes_ascii_digits_within_bounds_only(raw, expected):
    assert parse_int(raw) == expected


# --- import files (findings 2, 3, 6) ---------------------------------------------------------------

def _xlsx_with_sheet(sheet_xml: str, extra: dict | None = None) -> bytes:
    """A real workbook whose first sheet is replaced by crafted XML (what an attacker can upload)."""
    workbook = Workbook()
    workbook.active.append(["bfs_nr", "reference_date", "foreign_residents"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            target.writestr(item, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


SHEET = ('<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet '
         'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}'
         '</sheetData></worksheet>')
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>bfs_nr</t></is></c><c r="B1" t="inlineStr"><is><t>'
              'reference_date</t></is></c><c r="C1" t="inlineStr"><is><t>foreign_residents</t></is></c></row>')


def test_xlsx_declaring_a_huge_dimension_costs_only_its_content():
    """Finding 2: `<dimension ref="A1:XFD64000"/>` made openpyxl pad 64,000 rows × 16,384 columns."""
    data = _xlsx_with_sheet(SHEET.format(doctype="", dimension='<dimension ref="A1:XFD64000"/>', rows=HEADER_ROW))
    header, rows = read_table("bombe.xlsx", data)
    assert header[:3] == ["bfs_nr", "reference_date", "foreign_residents"] and len(header) <= MAX_COLUMNS
    assert rows == []


def test_xlsx_rows_with_a_cell_in_the_last_column_are_cut_at_the_column_cap():
    """Finding 2: 4,000 rows with one cell in column XFD each took ~500 MB."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, 4002))
    data = _xlsx_with_sheet(SHEET.format(doctype="", dimension="", rows=HEADER_ROW + rows))
    header, body = read_table("breit.xlsx", data)
    assert len(header) <= MAX_COLUMNS and body == []  # the XFD cells are beyond the cap: nothing to import


def test_xlsx_with_more_rows_than_the_cap_is_refused_in_german():
    far = f'<row r="{MAX_ROWS + 5}"><c r="A{MAX_ROWS + 5}"><v>1</v></c></row>'  # openpyxl fills the gap
    data = _xlsx_with_sheet(SHEET.format(doctype="", dimension="", rows=HEADER_ROW + far))
    with pytest.raises(DomainError, match="zu gross"):
        read_table("lang.xlsx", data)


def test_xlsx_zip_bomb_is_refused_before_inflating():
    data = _xlsx_with_sheet(SHEET.format(doctype="", dimension="", rows=HEADER_ROW),
                            extra={"xl/media/padding.bin": b"\0" * (MAX_UNZIPPED_BYTES + 1)})
    assert len(data) < MAX_UNZIPPED_BYTES // 100
    with pytest.raises(DomainError, match="zu gross"):
        read_table("zip.xlsx", data)


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
])
def test_xlsx_with_entities_is_refused_with_a_german_message(doctype):
    """Finding 3: XXE and billion laughs were blocked by the parser, but its exception was a 500."""
    data = _xlsx_with_sheet(SHEET.format(doctype=doctype, dimension="", rows=HEADER_ROW))
    with pytest.raises(DomainError, match="kann nicht gelesen werden"):
        read_table("xxe.xlsx", data)


@pytest.mark.parametrize("content, message", [
    (b"\xef\xbb\xbf", "leer"),
    (b"\xef\xbb\xbf\r\n\r\n", "leer"),
    (b"bfs_nr,name,district\n2601," + b"x" * (129 * 1024) + b",Lebern\n", "Zeile 2): ein Feld ist zu lang"),
    (b'bfs_nr,name,district\n2601,"' + b"x" * (129 * 1024) + b'",Lebern\n', "Zeile 2): ein Feld ist zu lang"),
    (b"bfs_nr,name,district\n2601," + b"x" * (20 * 1024) + b",Lebern\n", "Zeile 2: ein Feld ist länger"),
    (b"a," * (MAX_COLUMNS + 1) + b"\n", "zu gross"),
])
def test_csv_edge_cases_give_a_german_message_next_to_the_field(client, auth, content, message):
    """Finding 3: a CSV of only a BOM and a field over 128 KB gave a 500."""
    auth.login("admin")
    response = client.post("/admin/import/", data={"kind": "municipalities", "file": (io.BytesIO(content), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_import_confirm_takes_kind_and_name_from_the_stored_preview(client, auth):
    """Findings 3 and 6: a name cut inside a UTF-8 character broke the confirm step; `kind` came from the request."""
    auth.login("admin")
    name = "ä" * 150 + ".csv"  # 300 bytes: the old code cut it at byte 200, inside nothing; 201 would split
    page = client.post("/admin/import/", data={"kind": "municipalities", "file": (
        io.BytesIO(b"bfs_nr,name,district\n2601,Solothurn,Solothurn\n"), "ü" + name)},
        content_type="multipart/form-data").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    confirmed = client.post("/admin/import/confirm", data={"kind": "population", "token": token})
    assert confirmed.status_code == 302
    assert Municipality.get().name == "Solothurn"  # imported as what the preview showed


# --- one text rule (finding 6) -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+41", "-5", "@SUM(A1)", "\u200b=1+1", "＝1+1", " \ufeff@x",
                                  "Grenchen\x07", "Zeile\nzwei"])
def test_one_text_rule_refuses_formula_prefixes_after_nfkc_and_control_characters(name):
    assert text_problem(name) is not None
    assert text_problem("Grenchen") is None and text_problem("Zeile\nzwei", multiline=True) is None


@pytest.mark.parametrize("name", ["=1+1", "\u200b=1+1", "＝1+1", "Solo\x01thurn"])
def test_admin_form_refuses_what_the_import_refuses(client, auth, make_municipality, name):
    """Finding 6: the admin form accepted names the import refused; the import missed `\\u200b=` and `＝`."""
    muni = make_municipality(name="Alt")
    auth.login("admin")
    page = client.post(f"/admin/municipality/edit/?id={muni.id}", data={
        "bfs_nr": str(muni.bfs_nr), "name": name, "district": "Lebern"}).get_data(as_text=True)
    assert "Formeln sind nicht erlaubt" in page or "Steuer" in page
    assert Municipality.get_by_id(muni.id).name == "Alt"
    with pytest.raises(CellError):
        tabular_text(name, "name")


def test_r20_integer_form_field_without_minimum_refuses_negative_counts(client, auth, lead_setup):
    """Finding 6: an integer field created in the admin without a minimum accepted -3."""
    FormField.update(min_value=None).where(FormField.key == "first_info_interviews").execute()
    auth.login(user=lead_setup["officer"])
    page = client.post(_url(lead_setup["lead"]), data={**GOOD, "first_info_interviews": "-3", "action": "save"})
    assert "nicht kleiner als 0" in page.get_data(as_text=True) and Report.select().count() == 0


def test_r12_lead_officer_no_longer_opens_a_former_members_lines(client, auth, make_municipality, make_user,
                                                                 make_contract):
    """Finding 6: the lead's officer still opened a former member's lines (with the report's remarks)."""
    lead, member = make_municipality(name="Leitdorf"), make_municipality(name="Mitdorf")
    make_contract(lead, [member], valid_from=date(2024, 1, 1), valid_to=date(2025, 12, 31))
    officer = make_user("officer", municipality=lead, valid_from=date(2024, 1, 1))
    run = PayoutRun.create(payout_date=date(2025, 9, 30), status="approved", prepared_by=make_user("admin"))

    def line(municipality):
        return PayoutLine.create(run=run, municipality=municipality, payee=lead, component="case_first_info",
                                 period="2025-H1", quantity=1, rate=Decimal("200.00"), amount=Decimal("200.00"),
                                 status="payable", rule="R5", explanation="Bemerkung der Gemeinde")

    former, own = line(member), line(lead)
    auth.login(user=officer)
    assert client.get(f"/runs/{run.id}/lines/{former.id}").status_code == 404  # the contract ended 31.12.2025
    assert client.get(f"/runs/{run.id}/lines/{own.id}").status_code == 200
