"""Login and logout pages (German), throttled per IP and per account."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse as parse_limit

from auth.redirects import safe_next
from auth.service import authenticate
from auth.session import start_session
from extensions import limiter
from forms.auth import LoginForm
from services.users import end_sessions

bp = Blueprint("auth", __name__)


def _login_email() -> str:
    """The e-mail a login attempt names, from a form or a JSON body (Flask-WTF accepts both)."""
    data = request.form if request.form else request.get_json(silent=True)
    value = data.get("email") if hasattr(data, "get") else None
    return str(value or "").strip().lower()[:254]


def _account_key() -> str:
    # Per account *and* address (issue 20): a stranger failing from elsewhere cannot lock the accountant out
    # before a payout; the per-IP limit stays, and repeated failures of an account are logged below.
    return f"account:{_login_email()}|{get_remote_address()}"


def _note_failure() -> None:
    """Every failure is logged; many failures of one account from anywhere raise an alert (not a lock-out)."""
    email = _login_email() or "(leer)"
    current_app.logger.warning("Fehlgeschlagene Anmeldung für %s von %s", email, get_remote_address())
    if not limiter.limiter.hit(parse_limit(current_app.config["LOGIN_ALERT_PER_ACCOUNT"]), "login-alert", email):
        current_app.logger.error("ALARM: wiederholte Fehlanmeldungen für %s (mehr als %s)", email,
                                 current_app.config["LOGIN_ALERT_PER_ACCOUNT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"))
            session.clear()
            login_user(user)
            start_session()
            return redirect(target or url_for("main.home"))
        _note_failure()
        flash("E-Mail oder Passwort ist falsch.", "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_sessions(current_user)
    logout_user()
    session.clear()
    flash("Sie sind abgemeldet.", "info")
    return redirect(url_for("auth.login"))
