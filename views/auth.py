"""Login (password, then the second factor where needed), logout and the user's own second factor."""
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse as parse_limit
from markupsafe import Markup

from auth import second_factor
from auth.guards import permission_required
from auth.redirects import safe_next
from auth.service import authenticate, load_user
from auth.session import login_is_fresh, start_session
from extensions import limiter
from forms.auth import CodeForm, LoginForm
from models import User
from services import users
from services.errors import DomainError
from services.users import end_sessions

bp = Blueprint("auth", __name__)

PENDING_SECONDS = 5 * 60  # password accepted, code still to come
WRONG_CODE = "Der Code ist falsch oder wurde schon verwendet."


def _login_email() -> str:
    """The e-mail a login attempt names, from a form or a JSON body (Flask-WTF accepts both)."""
    data = request.form if request.form else request.get_json(silent=True)
    value = data.get("email") if hasattr(data, "get") else None
    return str(value or "").strip().lower()[:254]


def _account_key() -> str:
    # Per account *and* address (issue 20): a stranger failing from elsewhere cannot lock the accountant out
    # before a payout; the per-IP limit stays, and repeated failures of an account are logged below.
    return f"account:{_login_email()}|{get_remote_address()}"


def _note_failure(email: str) -> None:
    """Every failure is logged; many failures of one account from anywhere raise an alert (not a lock-out)."""
    email = email or "(leer)"
    current_app.logger.warning("Fehlgeschlagene Anmeldung für %s von %s", email, get_remote_address())
    if not limiter.limiter.hit(parse_limit(current_app.config["LOGIN_ALERT_PER_ACCOUNT"]), "login-alert", email):
        current_app.logger.error("ALARM: wiederholte Fehlanmeldungen für %s (mehr als %s)", email,
                                 current_app.config["LOGIN_ALERT_PER_ACCOUNT"])


def _finish_login(user, target: str | None):
    session.clear()
    login_user(user)
    start_session()
    return redirect(target or url_for("main.home"))


def _pending_user():
    """The user whose password was accepted in this browser within the last five minutes, else None."""
    pending = session.get("pending_login") or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return load_user(pending.get("user"))


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
        if user is not None and user.demo and current_app.config["PRODUCTION"]:
            user = None  # demo users exist only in the demo database; production refuses them
        if user is not None:
            target = safe_next(request.args.get("next"))
            if not second_factor.needed(user):
                return _finish_login(user, target)
            session.clear()
            session["pending_login"] = {"user": user.get_id(), "at": int(time.time()), "next": target}
            return redirect(url_for(".second_factor" if second_factor.enrolled(user) else ".enrol"))
        _note_failure(_login_email())
        flash("E-Mail oder Passwort ist falsch.", "danger")
    return render_template("auth/login.html", form=form)


def _pending_key() -> str:
    pending = session.get("pending_login") or {}
    return f"code:{pending.get('user', '')}|{get_remote_address()}"


@bp.route("/login/code", endpoint="second_factor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_pending_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def second_factor_step():
    """Step two: the 6-digit code of the authenticator app, or one of the recovery codes."""
    user = _pending_user()
    if user is None:
        flash("Bitte zuerst mit E-Mail und Passwort anmelden.", "info")
        return redirect(url_for(".login"))
    if not second_factor.enrolled(user):
        return redirect(url_for(".enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        code = form.code.data
        if second_factor.verify_totp(user, code) or second_factor.use_recovery_code(user, code):
            return _finish_login(user, session["pending_login"].get("next"))
        _note_failure(user.email)
        form.code.errors.append(WRONG_CODE)
    demo_code = second_factor.demo_code(user) if user.demo and not current_app.config["PRODUCTION"] else None
    return render_template("auth/second_factor.html", form=form, user=user, demo_code=demo_code)



def _enrolment_secret(user) -> str:
    """A new secret per enrolling browser, kept in its session (never stored before a code confirms it)."""
    pending = session.get("enrolment") or {}
    if pending.get("user") != user.id or not pending.get("secret"):
        pending = {"user": user.id, "secret": second_factor.new_secret()}
        session["enrolment"] = pending
    return pending["secret"]


def _enrolment(user, on_success):
    form = CodeForm()
    secret = _enrolment_secret(user)
    if form.validate_on_submit():
        try:
            codes = users.confirm_enrolment(user, secret, form.code.data)
        except DomainError as exc:
            form.code.errors.append(exc.message)
        else:
            session.pop("enrolment", None)
            return on_success(codes)
    uri = second_factor.provisioning_uri(user, secret)
    return render_template("auth/enrol.html", form=form, user=user, secret=secret,
                           qr=Markup(second_factor.qr_svg(uri)))  # noqa: S704 - SVG generated here, no user text


@bp.route("/login/einrichten", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_pending_key, methods=["POST"])
def enrol():
    """First login of a role that needs the second factor: enrol by QR code, then see the recovery codes."""
    user = _pending_user()
    if user is None:
        flash("Bitte zuerst mit E-Mail und Passwort anmelden.", "info")
        return redirect(url_for(".login"))
    if second_factor.enrolled(user):
        return redirect(url_for(".second_factor"))
    target = session["pending_login"].get("next")

    def done(codes):
        _finish_login(user, target)
        return render_template("auth/recovery_codes.html", codes=codes, target=target or url_for("main.home"))

    return _enrolment(user, done)


@bp.route("/konto/zweiter-faktor", methods=["GET", "POST"])
@login_required
def account_second_factor():
    """A user's own factor: status, or (officers opting in) the enrolment."""
    if second_factor.enrolled(current_user):
        return render_template("auth/account.html", remaining=second_factor.remaining_recovery_codes(current_user))
    return _enrolment(current_user, lambda codes: render_template(
        "auth/recovery_codes.html", codes=codes, target=url_for("main.home")))


@bp.route("/benutzer/<int:user_id>/zweiter-faktor/zuruecksetzen", methods=["POST"])
@permission_required("user.reset_second_factor")
def reset_second_factor(user_id):
    if User.get_or_none(User.id == user_id) is None:
        abort(404)
    try:
        user = users.reset_second_factor(current_user, user_id, fresh=login_is_fresh())
    except DomainError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("user.details_view", id=user_id))
    flash(f"Zweiter Faktor von {user.email} zurückgesetzt: Neueinrichtung bei der nächsten Anmeldung.", "success")
    return redirect(url_for("user.details_view", id=user_id))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_sessions(current_user)
    logout_user()
    session.clear()
    flash("Sie sind abgemeldet.", "info")
    return redirect(url_for("auth.login"))
