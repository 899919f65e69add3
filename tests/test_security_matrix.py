"""Issues 7 and 14: every route × every role, checked against the permission policy (auth/policy.py).

Two tables written down once: EXPECTED_RIGHTS (one row per action; the policy must equal it) and
ENDPOINTS (each route and method names its action); a new route without an entry fails. Allowed means
the role reaches the function (200, 302 or 400 for an incomplete post); denied means 403 or 404 and
nothing revealed. Anonymous users are sent to the login page everywhere (test_auth).
"""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import approve, ensure_go_live

from auth.policy import ANY, OWN, RIGHTS
from models import Correspondent, ForeignPopulation, FormVersion, Municipality, Report, SelfDeclaration
from services import evidence, payout_runs, samples
from services.audit import Actor
from services.outbox import Attachment, enqueue

ADM, OFF, ACC, AUD = "admin", "officer", "accountant", "auditor"
ALL = {ADM, OFF, ACC, AUD}
NONE: set[str] = set()
PUBLIC = {"auth.login", "auth.second_factor", "auth.enrol", "static", "admin.static", "main.health"}

# The policy, one row per action (ANY: every record; OWN: municipalities the officer is responsible for, R12).
EXPECTED_RIGHTS = {
    "admin.read": {ADM: ANY, AUD: ANY},
    "admin.write": {ADM: ANY},
    "import.run": {ADM: ANY},
    "run.read": {ADM: ANY, ACC: ANY, AUD: ANY},
    "run.prepare": {ADM: ANY},
    "run.approve": {ACC: ANY},
    "run.book": {ACC: ANY},
    "run.export": {ADM: ANY, ACC: ANY, AUD: ANY},
    "run.payment_file": {ACC: ANY},
    "line.read": {ADM: ANY, ACC: ANY, AUD: ANY, OFF: OWN},
    "budget.read": {ADM: ANY, ACC: ANY, AUD: ANY},
    "budget.set": {ADM: ANY},
    "budget.close": {ADM: ANY},
    "clawback.add": {ADM: ANY},
    "decision.add": {ADM: ANY},
    "settings.go_live": {ADM: ANY},
    "settings.edit": {ADM: ANY},
    "user.reset_second_factor": {ADM: ANY},
    "contributions.export": {ADM: ANY, ACC: ANY, AUD: ANY, OFF: OWN},
    "invoice.read": {ADM: ANY, ACC: ANY, AUD: ANY},
    "invoice.pay": {ACC: ANY},
    "invoice.cancel": {ACC: ANY},
    "invoice.send": {ACC: ANY},
    "payout_notice.read": {ADM: ANY, ACC: ANY, AUD: ANY, OFF: OWN},
    "letters.send": {ADM: ANY},
    "municipality.read": {ADM: ANY, ACC: ANY, AUD: ANY, OFF: OWN},
    "municipality.overview": {ADM: ANY, ACC: ANY, AUD: ANY},
    "portal.overview": {OFF: OWN},
    "document.read": {ADM: ANY, ACC: ANY, AUD: ANY, OFF: OWN},
    "document.edit": {ADM: ANY, OFF: OWN},
    "document.submit": {ADM: ANY, OFF: OWN},
    "document.review": {ADM: ANY},
    "review.queue": {ADM: ANY, AUD: ANY},
    "sample.read": {ADM: ANY, AUD: ANY},
    "sample.draw": {AUD: ANY},  # R24, §6: the auditor's only writes (READ_ONLY_EXCEPTIONS)
    "sample.request": {AUD: ANY},
    "sample.judge": {AUD: ANY},
    "sample.export": {ADM: ANY, AUD: ANY},
    "sample.proposal": {ADM: ANY},
    "evidence.upload": {OFF: OWN},
    "evidence.read": {ADM: ANY, AUD: ANY, OFF: OWN},
    "outbox.read": {ADM: ANY, AUD: ANY},
    "outbox.resend": {ADM: ANY},
    "deadlines.read": {ADM: ANY, AUD: ANY},
    "controlling.read": {ADM: ANY, AUD: ANY},
    "controlling.municipality": {ADM: ANY, AUD: ANY, OFF: OWN},  # R12: officers their own municipality only
    "controlling.simulate": {ADM: ANY},  # reads only: nothing is written
}
LOGGED_IN = "(every signed-in user)"
DISABLED = "(switched off for everyone)"

# Flask-Admin model views: readers list and view, writers write; inline editing and ajax pickers are off.
ADMIN_MODEL = {"index_view": {"GET": "admin.read"}, "details_view": {"GET": "admin.read"},
               "export": {"GET": "admin.read"},
               "create_view": {"GET": "admin.write", "POST": "admin.write"},
               "edit_view": {"GET": "admin.write", "POST": "admin.write"},
               "delete_view": {"POST": "admin.write"}, "action_view": {"POST": "admin.write"},
               "ajax_lookup": {"GET": DISABLED}, "ajax_update": {"POST": DISABLED}}
ADMIN_MODELS = ["municipality", "contract", "user", "officerassignment", "correspondent", "tariff", "foreignpopulation", "formversion",
                "report", "selfdeclaration", "budget", "clawback", "decision", "auditentry"]
ENDPOINTS = {
    **{f"{model}.{view}": methods for model in ADMIN_MODELS for view, methods in ADMIN_MODEL.items()},
    "admin.index": {"GET": "admin.read"},
    "imports.index": {"GET": "import.run", "POST": "import.run"},
    "imports.confirm": {"POST": "import.run"},
    "deadlines.index": {"GET": "deadlines.read"},
    "main.home": {"GET": LOGGED_IN},
    "auth.logout": {"POST": LOGGED_IN},
    "auth.account_second_factor": {"GET": LOGGED_IN, "POST": LOGGED_IN},  # one's own factor only
    "auth.reset_second_factor": {"POST": "user.reset_second_factor"},
    "payouts.runs": {"GET": "run.read", "POST": "run.prepare"},
    "payouts.run_detail": {"GET": "run.read"},
    "payouts.run_lines": {"GET": "run.read"},
    "payouts.run_export": {"GET": "run.export"},
    "payouts.run_pain001": {"POST": "run.payment_file"},
    "payouts.recompute": {"POST": "run.prepare"},
    "payouts.discard": {"POST": "run.prepare"},
    "payouts.close_year": {"POST": "budget.close"},
    "payouts.approve": {"POST": "run.approve"},
    "payouts.book": {"POST": "run.book"},
    "payouts.line_detail": {"GET": "line.read"},  # officers: approved lines of their own municipalities only
    "payouts.municipality_history": {"GET": "municipality.read"},  # officers: their own municipalities only
    "payouts.budget": {"GET": "budget.read"},
    "payouts.contributions_export": {"GET": "contributions.export"},  # officers: rows of their own only
    "invoices.index": {"GET": "invoice.read"},  # officers: none (the finance office receives the invoice by mail)
    "invoices.overdue": {"GET": "invoice.read"},
    "invoices.export": {"GET": "invoice.read"},
    "invoices.detail": {"GET": "invoice.read"},
    "invoices.pdf": {"GET": "invoice.read"},
    "invoices.pay": {"POST": "invoice.pay"},
    "invoices.cancel": {"POST": "invoice.cancel"},
    "invoices.send": {"POST": "invoice.send"},
    "payouts.payout_notice": {"GET": "payout_notice.read"},  # officers: their own payee, approved/booked runs
    "payouts.anhang1_pdf": {"GET": "contributions.export"},  # officers: their own municipalities only (R12)
    "portal.queue": {"GET": "review.queue"},
    "portal.municipality": {"GET": "municipality.overview"},
    "portal.dispatch": {"GET": "municipality.read"},  # officers: their own municipalities only (R12)
    "outbox.index": {"GET": "outbox.read"},
    "outbox.detail": {"GET": "outbox.read"},
    "outbox.attachment": {"GET": "outbox.read"},
    "outbox.resend": {"POST": "outbox.resend"},
    "portal.report_edit": {"GET": "document.read", "POST": "document.edit"},
    "portal.report_confirm": {"GET": "document.submit", "POST": "document.submit"},
    "portal.report_print": {"GET": "document.read"},
    "portal.report_confirmation_pdf": {"GET": "document.read"},
    "portal.report_accept": {"POST": "document.review"},
    "portal.report_return": {"POST": "document.review"},
    "portal.report_reopen": {"POST": "document.review"},
    "portal.self_declaration_edit": {"GET": "document.read", "POST": "document.edit"},
    "portal.self_declaration_confirm": {"GET": "document.submit", "POST": "document.submit"},
    "portal.self_declaration_print": {"GET": "document.read"},
    "portal.self_declaration_confirmation_pdf": {"GET": "document.read"},
    "portal.self_declaration_accept": {"POST": "document.review"},
    "portal.self_declaration_return": {"POST": "document.review"},
    "portal.self_declaration_reopen": {"POST": "document.review"},
    "samples.index": {"GET": "sample.read", "POST": "sample.draw"},
    "samples.detail": {"GET": "sample.read"},
    "samples.request_all": {"POST": "sample.request"},
    "samples.export": {"GET": "sample.export"},
    "samples.item": {"GET": "sample.read", "POST": "sample.judge"},
    "samples.request_item": {"POST": "sample.request"},
    "samples.proposals": {"GET": "sample.read"},
    "samples.decide": {"POST": "sample.proposal"},
    "samples.officer_items": {"GET": "evidence.upload"},
    "samples.upload": {"POST": "evidence.upload"},  # officers: items of their own municipalities only
    "samples.evidence_file": {"GET": "evidence.read"},  # officers: their own municipalities' evidence only
    "controlling.dashboard": {"GET": "controlling.read"},
    "controlling.dashboard_export": {"GET": "controlling.read"},
    "controlling.dashboard_chart": {"GET": "controlling.read"},
    "controlling.municipality": {"GET": "controlling.municipality"},  # officers: their own municipality (R12)
    "controlling.municipality_export": {"GET": "controlling.municipality"},
    "controlling.municipality_chart": {"GET": "controlling.municipality"},
    "controlling.feedback_pdf": {"GET": "controlling.municipality"},
    "controlling.simulation": {"GET": "controlling.simulate"},
    "controlling.simulation_export": {"GET": "controlling.simulate"},
    "portal.blank_form": {"GET": "document.read"},  # issue 18: the empty Anhang 2/3, no municipality's data
}


def allowed_roles(action: str) -> set[str]:
    """The roles the policy lets through to a route guarded by `action` (records are checked inside)."""
    if action == LOGGED_IN:
        return ALL
    if action == DISABLED:
        return NONE
    return set(RIGHTS[action])


# user 2 is the officer: resetting the factor of the logged-in admin (user 1) would end the walk's session
VALUES = {"municipality_id": "1", "year": "2025", "half": "2", "run_id": "1", "line_id": "1", "filename": "x",
          "user_id": "2", "invoice_id": "1", "chart": "verlauf", "form_type": "report"}


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
    payout_runs.add_clawback(users[ADM], 2546, Decimal("20.00"), "Ohne Guthaben", date(2026, 1, 1))  # invoice 1
    from models import Contract, Decision

    Contract.create(reference="V", lead=Municipality.get(Municipality.bfs_nr == 2546), valid_from=date(2024, 1, 1))
    Decision.create(kind="pay_late_report", municipality=own, report=report, reason="x", decided_on=date(2026, 1, 1),
                    decided_by=users[ADM])
    Correspondent.create(municipality=own, name="Kora Muster", email="kora@eigenort.ch", valid_from=date(2020, 1, 1))
    enqueue(Actor.cli("test"), "other", [("Kora Muster", "kora@eigenort.ch")], "Betreff", "Text", dedupe_key="m1",
            municipality=own, attachments=[Attachment("a.pdf", "application/pdf", b"%PDF-1.4")])
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(users[ADM], date(2026, 3, 31), date(2026, 11, 25))
    approve(users[ACC], run)
    # sample 1 with item 1 on report 1 (the officer's own), evidence requested and evidence 1 uploaded (R24)
    samples.draw_sample(users[AUD], 2025, method="count", value=1, seed="1")
    samples.request_evidence(users[AUD], 1)
    evidence.upload(users[OFF], 1, "Beleg.pdf", b"%PDF-1.4 test", Path(app.config["EVIDENCE_DIR"]), 1024)
    return users


def test_policy_table_equals_the_expected_rows():
    """Issue 14: the policy holds exactly these rights; granting one is a line in RIGHTS and its row here."""
    assert RIGHTS == EXPECTED_RIGHTS


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - PUBLIC
    assert endpoints == set(ENDPOINTS), {"missing": endpoints - set(ENDPOINTS), "stale": set(ENDPOINTS) - endpoints}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC:
            assert set(ENDPOINTS[rule.endpoint]) == rule.methods - {"HEAD", "OPTIONS"}, rule.endpoint
    named = {action for methods in ENDPOINTS.values() for action in methods.values()} - {LOGGED_IN, DISABLED}
    assert named <= set(RIGHTS), named - set(RIGHTS)


@pytest.mark.parametrize("role", [ADM, OFF, ACC, AUD])
def test_route_role_matrix(app, client, auth, world, role):
    auth.login(user=world[role])
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC | {"auth.logout"}),
                   key=lambda r: r.endpoint)
    checked = 0
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method, data={})
            allowed = role in allowed_roles(ENDPOINTS[rule.endpoint][method])
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
