"""Issue 7 hardening: fresh login for sensitive changes, CSRF with protection on, no self-lockout, headers."""
import re
import time
from datetime import date
from decimal import Decimal

import pytest
from conftest import PASSWORD, csrf_token_from, ensure_go_live, totp_code

from models import Municipality, PayoutRun, Tariff, User
from services import payout_runs


def _age_login(client, minutes):
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - minutes * 60
        session["seen"] = int(time.time())


def test_approving_a_run_needs_a_fresh_login(app, client, auth, make_user):
    ensure_go_live(date(2026, 3, 31))
    run = payout_runs.prepare(make_user("admin"), date(2026, 3, 31), date(2026, 11, 25))
    auth.login("accountant")
    _age_login(client, 20)
    response = client.post(f"/runs/{run.id}/approve", data={"version": str(run.version)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert PayoutRun.get().status == "draft"


@pytest.mark.parametrize("url_data", ["iban", "role", "tariff"])
def test_changing_iban_role_or_tariff_needs_a_fresh_login(app, client, auth, make_municipality, make_user, url_data):
    muni = make_municipality(bfs_nr=2601, name="Solothurn", iban=None, creditor_number=None)
    other = make_user("accountant", email="konto@so.ch")
    tariff = Tariff.get(Tariff.kind == "fee_first_info")
    requests = {
        "iban": (f"/admin/municipality/edit/?id={muni.id}",
                 {"bfs_nr": "2601", "name": "Solothurn", "district": "Lebern", "iban": "CH9300762011623852957"}),
        "role": (f"/admin/user/edit/?id={other.id}", {"email": other.email, "name": "X", "role": "auditor",
                                                      "active": "y"}),
        "tariff": (f"/admin/tariff/edit/?id={tariff.id}", {"kind": "fee_first_info", "amount": "999.00",
                                                          "valid_from": "2017-01-01", "reference": tariff.reference}),
    }
    url, data = requests[url_data]
    auth.login("admin")
    _age_login(client, 20)
    page = client.post(url, data=data).get_data(as_text=True)
    assert "erneut anmelden" in page
    assert Municipality.get_by_id(muni.id).iban is None and User.get_by_id(other.id).role == "accountant"
    assert Tariff.get_by_id(tariff.id).amount == Decimal("200.00")
    _age_login(client, 1)
    assert client.post(url, data=data).status_code == 302


def test_admin_cannot_lock_themselves_out(client, auth):
    admin = auth.login("admin")
    page = client.post(f"/admin/user/edit/?id={admin.id}", data={"email": admin.email, "name": "Ich",
                                                                 "role": "auditor"}).get_data(as_text=True)
    assert "eigene Rolle" in page and User.get_by_id(admin.id).role == "admin"


def _admin_with_csrf(make_app, make_user):
    """A client of an app with CSRF protection on, logged in as an admin the way a browser does it."""
    from models.schema import upgrade
    from services.audit import Actor
    from services.reference_data import load_reference_data

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        load_reference_data(Actor.cli("t"))
    client = app.test_client()
    user = make_user("admin")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_token_from(client.get("/login/code").get_data(as_text=True))
    assert client.post("/login/code", data={"code": totp_code(user), "csrf_token": token}).status_code == 302
    return client


def test_state_changing_posts_are_refused_without_csrf_token(make_app, make_user, make_municipality):
    client = _admin_with_csrf(make_app, make_user)
    for url, data in (("/runs", {"payout_date": "2026-03-31"}), ("/admin/municipality/new/",
                      {"bfs_nr": "2601", "name": "X", "district": "Y"}), ("/logout", {}),
                      ("/admin/import/confirm", {"kind": "population", "token": "0" * 32})):
        assert client.post(url, data=data).status_code == 400, url
    assert PayoutRun.select().count() == 0 and Municipality.select().count() == 0
    page = client.get("/admin/municipality/new/").get_data(as_text=True)
    response = client.post("/admin/municipality/new/", data={"bfs_nr": "2601", "name": "X", "district": "Y",
                                                             "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and Municipality.select().count() == 1


def test_list_page_delete_form_carries_id_return_url_and_csrf_token(make_app, make_user, make_municipality):
    """The row's delete form is plain HTML (issue 8: speed); posted as a browser would, it deletes that row."""
    client = _admin_with_csrf(make_app, make_user)
    keep, doomed = make_municipality(name="Bleibt"), make_municipality(name="Weg")
    html = client.get("/admin/municipality/").get_data(as_text=True)
    forms = re.findall(r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>', html, re.S)
    assert len(forms) == 2
    action, fields = next((a, f) for a, f in forms if f'name="id" value="{doomed.id}"' in f)
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', fields))
    assert set(data) == {"id", "url", "csrf_token"} and data["url"].startswith("/admin/municipality/")
    assert client.post(action, data={**data, "csrf_token": ""}).status_code == 400
    assert client.post(action, data=data).status_code == 302
    assert Municipality.get_or_none(Municipality.id == doomed.id) is None
    assert Municipality.get_or_none(Municipality.id == keep.id) is not None


def test_application_pages_have_a_csp_without_inline_script(client, auth):
    auth.login("accountant")
    response = client.get("/runs")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.get_data(as_text=True))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/admin/", "/admin/municipality/", "/admin/contract/new/", "/admin/formversion/new/"])
def test_admin_pages_run_under_a_csp_without_inline_handlers(client, auth, make_municipality, url):
    make_municipality()
    auth.login("admin")
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in script_src and "'nonce-" in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    html = response.get_data(as_text=True)
    assert not re.search(r"\son[a-z]+=", html)  # javascript:void(0) toggles stay inert: CSP blocks them too
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag
