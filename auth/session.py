"""Idle timeout and absolute lifetime of a login (SESS-03)."""
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user


def start_session() -> None:
    now = int(time.time())
    session.permanent = True
    session["login_at"] = now
    session["seen"] = now


def enforce_session_limits():
    """before_request hook: end sessions idle too long or older than the lifetime."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    login_at, seen = session.get("login_at"), session.get("seen")
    if login_at is None or seen is None or now - seen > idle or now - login_at > lifetime:
        logout_user()
        session.clear()
        flash("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.", "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    session["seen"] = now
    return None


FRESH_LOGIN_SECONDS = 15 * 60
REAUTH_MESSAGE = ("Zur Bestätigung dieser Änderung bitte erneut anmelden (die letzte Anmeldung liegt mehr als "
                  "15 Minuten zurück).")


def login_is_fresh() -> bool:
    """Sensitive actions (approving runs, IBANs, roles, tariffs) need a login of the last 15 minutes."""
    login_at = session.get("login_at")
    return login_at is not None and int(time.time()) - login_at <= FRESH_LOGIN_SECONDS
