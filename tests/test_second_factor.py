"""A second factor for the roles that move money and for financial control (issue 20)."""
import re
import time
from datetime import datetime, timezone

import pyotp
import pytest
from conftest import PASSWORD, totp_code
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth import second_factor
from extensions import limiter
from models import AuditEntry, User


def _password(client, user, path="/login"):
    return client.post(path, data={"email": user.email, "password": PASSWORD})


def _logged_in(client) -> bool:
    return client.get("/konto/zweiter-faktor").status_code == 200


def _enrol(client, user):
    page = client.get("/login/einrichten").get_data(as_text=True)
    secret = re.search(r'aria-label="Schlüssel">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page and "<script" not in page  # the QR code is inline SVG under the strict CSP
    return secret, client.post("/login/einrichten", data={"code": pyotp.TOTP(secret).now()})


@pytest.mark.parametrize("role", ["admin", "accountant", "auditor"])
def test_money_roles_enrol_by_qr_code_on_first_login_and_get_ten_recovery_codes(client, make_user, role):
    user = make_user(role, second_factor=False)
    response = _password(client, user)
    assert response.headers["Location"] == "/login/einrichten"
    assert not _logged_in(client)  # the password alone does not log in
    page = client.get("/login/einrichten").get_data(as_text=True)
    wrong = client.post("/login/einrichten", data={"code": "000000"}).get_data(as_text=True)
    assert "Der Code stimmt nicht" in wrong and not _logged_in(client)
    secret, done = _enrol(client, user)
    assert secret in page
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert _logged_in(client)
    stored = User.get_by_id(user.id)
    assert stored.totp_enabled_at and second_factor.remaining_recovery_codes(stored) == 10
    assert all(code not in stored.recovery_codes_json for code in codes)  # only hashes are stored
    entry = AuditEntry.get(AuditEntry.action == "enable_second_factor")
    assert secret not in entry.after and '"totp_secret": "***"' in entry.after


def test_enrolled_user_needs_the_code_and_a_code_counts_once(client, make_user):
    user = make_user("accountant")
    assert _password(client, user).headers["Location"] == "/login/code"
    assert "Der Code ist falsch" in client.post("/login/code", data={"code": "123456"}).get_data(as_text=True)
    assert not _logged_in(client)
    code = totp_code(user)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert _logged_in(client)
    client.post("/logout")
    _password(client, user)
    replay = client.post("/login/code", data={"code": code})  # the same code again: refused
    assert replay.status_code == 200 and not _logged_in(client)


def test_a_recovery_code_logs_in_once(client, make_user):
    user = make_user("admin", second_factor=False)
    _password(client, user)
    _secret, done = _enrol(client, user)
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.get_data(as_text=True))
    client.post("/logout")
    _password(client, user)
    assert client.post("/login/code", data={"code": codes[3].upper()}).status_code == 302
    assert second_factor.remaining_recovery_codes(User.get_by_id(user.id)) == 9
    client.post("/logout")
    _password(client, user)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 200  # used up


def test_the_code_step_needs_a_recent_password_in_the_same_browser(app, client, make_user):
    user = make_user("auditor")
    assert client.post("/login/code", data={"code": totp_code(user)}).headers["Location"] == "/login"
    _password(client, user)
    with client.session_transaction() as session:
        session["pending_login"] = {**session["pending_login"], "at": int(time.time()) - 6 * 60}
    assert client.post("/login/code", data={"code": totp_code(user)}).headers["Location"] == "/login"
    assert not _logged_in(client)


def test_wrong_codes_are_throttled(app, client, make_user):
    limiter.reset()
    user = make_user("accountant")
    _password(client, user)
    statuses = [client.post("/login/code", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_officers_log_in_without_a_factor_and_may_opt_in(client, auth, make_user):
    officer = make_user("officer")
    assert _password(client, officer).headers["Location"] == "/"
    page = client.get("/konto/zweiter-faktor").get_data(as_text=True)
    secret = re.search(r'aria-label="Schlüssel">([A-Z2-7]+)<', page).group(1)
    assert "Wiederherstellungscodes" in client.post("/konto/zweiter-faktor",
                                                    data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    client.post("/logout")
    assert _password(client, officer).headers["Location"] == "/login/code"  # asked from now on


def test_admin_resets_a_lost_factor_with_a_fresh_login_and_the_user_enrols_again(app, client, auth, make_user):
    accountant = make_user("accountant")
    other = app.test_client()
    _password(other, accountant)
    other.post("/login/code", data={"code": totp_code(accountant)})
    assert _logged_in(other)
    admin = auth.login("admin")
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 20 * 60
    client.post(f"/benutzer/{accountant.id}/zweiter-faktor/zuruecksetzen")
    assert User.get_by_id(accountant.id).totp_secret is not None  # a stale login may not reset
    with client.session_transaction() as session:
        session["login_at"] = int(time.time())
    client.post(f"/benutzer/{accountant.id}/zweiter-faktor/zuruecksetzen")
    stored = User.get_by_id(accountant.id)
    assert stored.totp_secret is None and stored.totp_enabled_at is None
    assert not _logged_in(other)  # the user's running sessions ended
    entry = AuditEntry.get(AuditEntry.action == "reset_second_factor")
    assert entry.user_id == admin.id and entry.record_id == str(accountant.id)
    assert _password(other, accountant).headers["Location"] == "/login/einrichten"


def test_only_admins_reset_factors(client, auth, make_user):
    accountant = make_user("accountant")
    auth.login("auditor")
    assert client.post(f"/benutzer/{accountant.id}/zweiter-faktor/zuruecksetzen").status_code == 403
    assert User.get_by_id(accountant.id).totp_secret is not None


def test_the_fresh_login_before_an_approval_asks_for_the_code_again(client, auth):
    auth.login("accountant")
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 20 * 60
    user = User.get(User.role == "accountant")
    client.post("/logout")
    assert _password(client, user, "/login?next=/runs").headers["Location"] == "/login/code"


def test_demo_users_see_their_code_but_production_refuses_them(client, make_app, make_user):
    user = make_user("admin", demo=True)
    _password(client, user)
    assert f"aktueller Code <strong>{second_factor.demo_code(User.get_by_id(user.id))}</strong>" in \
        client.get("/login/code").get_data(as_text=True)
    refused = _password(make_app(PRODUCTION=True).test_client(), user)  # the same database, in production
    assert refused.status_code == 200 and "falsch" in refused.get_data(as_text=True)


def test_a_normal_user_never_sees_a_code_on_the_page(client, make_user):
    user = make_user("admin")
    _password(client, user)
    assert "aktueller Code" not in client.get("/login/code").get_data(as_text=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(st.tuples(st.integers(0, 200), st.integers(-2, 2)), min_size=1, max_size=12))
def test_each_time_step_is_accepted_at_most_once_and_only_forwards(app, make_user, attempts):
    """Replay protection over sequences: (seconds since start, step offset of the code typed)."""
    user = make_user("accountant")
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    user = User.get_by_id(user.id)
    totp, start, accepted = pyotp.TOTP(user.totp_secret), 1_800_000_000, []
    for seconds, offset in attempts:
        now = start + seconds
        step = totp.timecode(datetime.fromtimestamp(now, tz=timezone.utc)) + offset
        if second_factor.verify_totp(user, totp.generate_otp(step), at=now):
            accepted.append(step)
            assert abs(offset) <= 1
    assert accepted == sorted(set(accepted))  # strictly increasing: no step twice, never backwards
