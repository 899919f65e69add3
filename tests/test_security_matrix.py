"""Issue 7: every route × every role, expected access written down once; a new route without an entry fails.

Allowed means the role reaches the function (200, 302 or 400 for an incomplete post); denied means 403
or 404 and nothing revealed. Anonymous users are sent to the login page everywhere (test_auth).
"""
from datetime import date
from decimal import Decimal

import pytest
from conftest import approve, ensure_go_live

from models import ForeignPopulation, FormVersion, Municipality, Report, SelfDeclaration
from services import payout_runs

ADM, OFF, ACC, AUD = "admin", "officer", "accountant", "auditor"
ALL = {ADM, OFF, ACC, AUD}
NONE: set[str] = set()
PUBLIC = {"auth.login", "static", "admin.static", "main.health"}

# Flask-Admin model views: readers list and view, the admin writes; inline editing and ajax pickers are off.
ADMIN_MODEL = {"index_view": {"GET": {ADM, AUD}}, "details_view": {"GET": {ADM, AUD}}, "export": {"GET": {ADM, AUD}},
               "create_view": {"GET": {ADM}, "POST": {ADM}}, "edit_view": {"GET": {ADM}, "POST": {ADM}},
               "delete_view": {"POST": {ADM}}, "action_view": {"POST": {ADM}},
               "ajax_lookup": {"GET": NONE}, "ajax_update": {"POST": NONE}}
ADMIN_MODELS = ["municipality", "contract", "user", "officerassignment", "tariff", "foreignpopulation", "formversion",
                "report", "selfdeclaration", "budget", "clawback", "decision", "auditentry"]
MATRIX = {
    **{f"{model}.{view}": methods for model in ADMIN_MODELS for view, methods in ADMIN_MODEL.items()},
    "admin.index": {"GET": {ADM, AUD}},
    "imports.index": {"GET": {ADM}, "POST": {ADM}},
    "imports.confirm": {"POST": {ADM}},
    "main.home": {"GET": ALL},
    "auth.logout": {"POST": ALL},
    "payouts.runs": {"GET": {ADM, ACC, AUD}, "POST": {ADM}},
    "payouts.run_detail": {"GET": {ADM, ACC, AUD}},
    "payouts.run_lines": {"GET": {ADM, ACC, AUD}},
    "payouts.run_export": {"GET": {ADM, ACC, AUD}},
    "payouts.recompute": {"POST": {ADM}},
    "payouts.approve": {"POST": {ACC}},
    "payouts.book": {"POST": {ACC}},
    "payouts.line_detail": {"GET": ALL},  # officers: approved lines of their own municipalities only
    "payouts.municipality_history": {"GET": ALL},  # officers: their own municipalities only
    "payouts.budget": {"GET": {ADM, ACC, AUD}},
    "payouts.contributions_export": {"GET": ALL},  # officers: rows of their own municipalities only
    "portal.queue": {"GET": {ADM, AUD}},
    "portal.municipality": {"GET": {ADM, ACC, AUD}},
    "portal.report_edit": {"GET": ALL, "POST": {ADM, OFF}},
    "portal.report_confirm": {"GET": {ADM, OFF}, "POST": {ADM, OFF}},
    "portal.report_print": {"GET": ALL},
    "portal.report_accept": {"POST": {ADM}},
    "portal.report_return": {"POST": {ADM}},
    "portal.self_declaration_edit": {"GET": ALL, "POST": {ADM, OFF}},
    "portal.self_declaration_confirm": {"GET": {ADM, OFF}, "POST": {ADM, OFF}},
    "portal.self_declaration_print": {"GET": ALL},
    "portal.self_declaration_accept": {"POST": {ADM}},
    "portal.self_declaration_return": {"POST": {ADM}},
}
VALUES = {"municipality_id": "1", "year": "2025", "half": "2", "run_id": "1", "line_id": "1", "filename": "x"}


def _url(rule) -> str:
    url = rule.rule
    for name in rule.arguments:
        value = "2026" if (name == "year" and "selbstdeklaration" in url) else VALUES.get(name, "1")
        url = url.replace(f"<int:{name}>", value).replace(f"<{name}>", value).replace(f"<path:{name}>", value)
    if rule.endpoint.split(".")[-1] in ("details_view", "edit_view"):
        url += "?id=1"
    return url


@pytest.fixture
def world(app, make_municipality, make_user):
    """Row 1 of every table exists; the officer is responsible for municipality 1; run 1 is approved."""
    own = make_municipality(bfs_nr=2601, name="Eigenort", organisation_settled_on=date(2017, 1, 1))
    make_municipality(bfs_nr=2546, name="Fremdort")
    users = {role: make_user(role, municipality=own if role == OFF else None) for role in (ADM, OFF, ACC, AUD)}
    ForeignPopulation.create(municipality=own, reference_date=date(2024, 12, 31), count=100)
    report = Report(municipality=own, year=2025, half=2, status="accepted",
                    form_version=FormVersion.valid_on("report", date(2025, 7, 1)))
    report.values = {"first_info_interviews": 2}
    report.save()
    SelfDeclaration.create(municipality=own, year=2026, status="accepted",
                           form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))
    payout_runs.set_budget(users[ADM], 2026, Decimal("1000.00"))
    payout_runs.add_clawback(users[ADM], 2601, Decimal("10.00"), "Test", date(2026, 1, 1))
    from models import Contract, Decision

    Contract.create(reference="V", lead=Municipality.get(Municipality.bfs_nr == 2546), valid_from=date(2024, 1, 1))
    Decision.create(kind="pay_late_report", municipality=own, report=report, reason="x", decided_on=date(2026, 1, 1),
                    decided_by=users[ADM])
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(users[ADM], date(2026, 3, 31), date(2026, 11, 25))
    approve(users[ACC], run)
    return users


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - PUBLIC
    assert endpoints == set(MATRIX), {"missing": endpoints - set(MATRIX), "stale": set(MATRIX) - endpoints}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC:
            assert set(MATRIX[rule.endpoint]) == rule.methods - {"HEAD", "OPTIONS"}, rule.endpoint


@pytest.mark.parametrize("role", [ADM, OFF, ACC, AUD])
def test_route_role_matrix(app, client, auth, world, role):
    auth.login(user=world[role])
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC | {"auth.logout"}),
                   key=lambda r: r.endpoint)
    checked = 0
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method, data={})
            allowed = role in MATRIX[rule.endpoint][method]
            status = response.status_code
            assert status != 500, (role, method, rule.endpoint)
            if allowed:
                assert status in (200, 302, 400), (role, method, rule.endpoint, status)
                if status == 302:
                    assert "/login" not in response.headers["Location"], (role, method, rule.endpoint)
            else:
                assert status in (403, 404), (role, method, rule.endpoint, status)
            checked += 1
    assert client.post("/logout").status_code == 302
    assert checked > 150


def test_officer_probes_with_foreign_ids_reveal_nothing(app, client, auth, world):
    foreign = Municipality.get(Municipality.bfs_nr == 2546)
    auth.login(user=world[OFF])
    for rule in app.url_map.iter_rules():
        if "municipality_id" not in rule.arguments:
            continue
        url = _url(rule).replace("/gemeinden/1/", f"/gemeinden/{foreign.id}/").replace(
            "/municipalities/1/", f"/municipalities/{foreign.id}/")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, data={"first_info_interviews": "1", "action": "save"})
            assert response.status_code in (403, 404), (method, url)
            assert "Fremdort" not in response.get_data(as_text=True)
    assert Report.select().where(Report.municipality == foreign.id).count() == 0
