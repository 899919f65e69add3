"""Authentication: login required everywhere, same answer for unknown/wrong, server-side logout."""
import pytest

from extensions import limiter
from models import User
from tests.conftest import PASSWORD, totp_code

PUBLIC = {"auth.login", "static", "admin.static", "main.health"}


def _concrete_urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "1").replace(f"<int:{arg}>", "1").replace(f"<path:{arg}>", "x")
        yield rule, url


def test_every_page_but_login_redirects_anonymous_users_to_login(app, client):
    """AC-01: generated from the URL map, so a new route is covered automatically."""
    checked = 0
    for rule, url in _concrete_urls(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)
            checked += 1
    assert checked > 40


def test_login_page_and_health_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}


def _login_with_code(client, user, path="/login"):
    """Password, then the code of the second factor (issue 20); returns the last answer."""
    response = client.post(path, data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    return client.post("/login/code", data={"code": totp_code(user)})


def test_login_with_correct_password_opens_the_home_page(client, make_user):
    user = make_user(role="accountant")
    response = _login_with_code(client, user)
    assert response.status_code == 302
    assert "Willkommen" in client.get("/").get_data(as_text=True)


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "falsch-falsch-falsch"})
    unknown = client.post("/login", data={"email": "niemand@test.so.ch", "password": "falsch-falsch-falsch"})
    assert wrong.status_code == unknown.status_code == 200
    assert "E-Mail oder Passwort ist falsch." in wrong.get_data(as_text=True)
    strip = lambda r: r.get_data(as_text=True).replace(user.email, "").replace("niemand@test.so.ch", "")
    assert strip(wrong) == strip(unknown)


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "falsch" in response.get_data(as_text=True)


def test_logout_invalidates_a_copied_session_cookie(app, client, auth):
    """SESS-02: the cookie copied before logout no longer authenticates."""
    auth.login("admin")
    cookie = client.get_cookie("session").value
    assert client.get("/admin/").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_deactivating_a_user_ends_their_session(client, auth):
    user = auth.login("auditor")
    assert client.get("/").status_code == 200
    User.update(active=False).where(User.id == user.id).execute()
    assert client.get("/").status_code == 302


def test_logout_requires_post(client, auth):
    auth.login("admin")
    assert client.get("/logout").status_code == 405


def test_password_hash_is_argon2id_with_owasp_parameters(app):
    from auth.passwords import hash_password

    assert hash_password("Ein-langes-Passwort-123").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize("target", [
    "https://evil.ch", "//evil.ch", "\\\\evil.ch", "/\\evil.ch", "javascript:alert(1)",
    "java\tscript:alert(1)", "%2F%2Fevil.ch", "/%2F/evil.ch", "http:/evil.ch",
])
def test_login_ignores_hostile_next_targets(client, make_user, target):
    """AUTH-08: every hostile `next` lands on the start page."""
    user = make_user(role="auditor")
    response = _login_with_code(client, user, f"/login?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next_target(client, make_user):
    user = make_user(role="admin")
    response = _login_with_code(client, user, "/login?next=/admin/municipality/")
    assert response.headers["Location"] == "/admin/municipality/"


def test_login_is_throttled_per_account_with_the_same_answer_for_unknown_users(app, client, make_user):
    """AUTH-04: after 5 failures the account is throttled from that address, known or not; success is refused."""
    limiter.reset()
    user = make_user()
    statuses = {}
    for email in (user.email, "unbekannt@test.so.ch"):
        codes = [client.post("/login", data={"email": email, "password": "falsch-falsch-falsch"},
                             environ_base={"REMOTE_ADDR": f"10.0.0.{len(statuses) + 1}"}).status_code
                 for _ in range(6)]
        statuses[email] = codes
    assert statuses[user.email] == statuses["unbekannt@test.so.ch"] == [200] * 5 + [429]
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert blocked.status_code == 429 and "Zu viele" in blocked.get_data(as_text=True)


def test_a_stranger_cannot_lock_the_accountant_out_from_elsewhere(app, client, make_user, caplog):
    """Issue 20, finding 4: throttling is per account and address; the failures are logged and alerted."""
    limiter.reset()
    accountant = make_user("accountant")
    app.config["LOGIN_ALERT_PER_ACCOUNT"] = "8 per hour"
    for attempt in range(10):
        client.post("/login", data={"email": accountant.email, "password": "falsch-falsch-falsch"},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{attempt // 5 + 1}"})
    response = client.post("/login", data={"email": accountant.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert response.status_code == 302
    assert sum("Fehlgeschlagene Anmeldung" in r.getMessage() for r in caplog.records) == 10
    assert any("ALARM" in r.getMessage() and accountant.email in r.getMessage() for r in caplog.records)


def test_json_logins_are_throttled_per_account_too(app, client, make_user):
    """Issue 20, finding 4: a JSON body made the key `account:` (one bucket for all, none per account)."""
    app.config["WTF_CSRF_ENABLED"] = False
    limiter.reset()
    user = make_user()
    codes = [client.post("/login", json={"email": user.email, "password": "falsch-falsch-falsch"}).status_code
             for _ in range(6)]
    assert codes == [200] * 5 + [429]
    other = client.post("/login", json={"email": "jemand@test.so.ch", "password": "falsch-falsch-falsch"})
    assert other.status_code == 200  # another account is its own bucket


def test_login_is_throttled_per_ip(app, client):
    limiter.reset()
    codes = [client.post("/login", data={"email": f"u{i}@test.so.ch", "password": "x" * 12}).status_code
             for i in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


def test_session_ends_after_idle_timeout(app, client, auth):
    from datetime import timedelta

    auth.login("admin")
    with client.session_transaction() as session:
        session["seen"] -= int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds()) + 1
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert app.config["SESSION_IDLE_TIMEOUT"] <= timedelta(minutes=30)


def test_session_ends_after_absolute_lifetime(app, client, auth):
    auth.login("admin")
    with client.session_transaction() as session:
        session["login_at"] -= int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()) + 1
    assert client.get("/admin/").status_code == 302


def test_login_starts_a_new_session_without_pre_login_data(client, make_user):
    """SESS-04."""
    with client.session_transaction() as session:
        session["planted"] = "x"
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_authenticated_pages_carry_security_headers(client, auth):
    auth.login("auditor")
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_csrf_is_required_for_login_when_enabled(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    from models.schema import upgrade

    with app.app_context():
        upgrade()
    client = app.test_client()
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    ok = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_officer_home_lists_own_and_led_members_only(client, auth, make_municipality, make_contract):
    """R12: the officer of a lead sees its members; a neighbour stays invisible."""
    lead = make_municipality(name="Leitdorf")
    member = make_municipality(name="Mitgliedsdorf")
    make_municipality(name="Nachbardorf")
    make_contract(lead, [member])
    auth.login("officer", municipality=lead)
    page = client.get("/").get_data(as_text=True)
    assert "Leitdorf" in page and "Mitgliedsdorf" in page and "Nachbardorf" not in page
