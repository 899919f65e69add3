"""Hardening, second round (issue 20): each finding of the probe reproduced at the level it was found."""
import re

import pytest
from test_portal import GOOD, _url, lead_setup  # noqa: F401 - the fixture is used by name

from auth.redirects import same_site_location
from core.numbers import parse_int
from models import Report

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
