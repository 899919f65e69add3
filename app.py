"""Application factory: a table of contents of named set-up steps. Nothing imports this module."""
import secrets

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from admin import init_admin
from auth.guards import template_helpers
from auth.redirects import same_site_location
from auth.service import load_user
from auth.session import enforce_session_limits
from cli import register_cli
from config import StartupError, build_config, load_secret_key
from core import formatting
from core.numbers import DB_INT_MAX
from core.text import without_rule_ids
from extensions import babel, csrf, limiter, login_manager, mail
from models import db
from models.database import DatabaseUnavailable, check_connection, make_database
from models.labels import label, line_status_label
from services.run_views import legal_basis
from views.auth import bp as auth_bp
from views.controlling import bp as controlling_bp
from views.errors import register_error_handlers
from views.invoices import bp as invoices_bp
from views.main import bp as main_bp
from views.payouts import bp as payouts_bp
from views.people import person
from views.portal import bp as portal_bp
from views.samples import bp as samples_bp

# the second-factor steps check the pending password login themselves
PUBLIC_ENDPOINTS = {"auth.login", "auth.second_factor", "auth.enrol", "static", "admin.static", "main.health"}


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` within the database's 64-bit range: a 20-digit id is a 404, not an overflow (issue 20)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, max, signed)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseIntConverter
    load_config(app, config)
    init_db(app)
    init_extensions(app)
    init_auth(app)
    init_admin(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.update(build_config(app.instance_path))
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path, app.config["PRODUCTION"])


def init_db(app: Flask) -> None:
    """Bind the model proxy to DATABASE_URL; one connection per request."""
    try:
        database = make_database(app.config["DATABASE_URL"])
        check_connection(database)
    except DatabaseUnavailable as exc:
        raise StartupError(f"Start abgebrochen: {exc}") from None
    db.initialize(database)

    @app.before_request
    def open_connection():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def close_connection(exc):
        if not db.is_closed():
            db.close()


def init_extensions(app: Flask) -> None:
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "de")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    mail.init_app(app)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    app.before_request(enforce_session_limits)

    @app.before_request
    def require_login():
        # Deny by default: every endpoint but the public ones needs a login (AC-01).
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(payouts_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(samples_bp)
    app.register_blueprint(controlling_bp)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(formatting.chf, "chf")
    app.add_template_filter(formatting.date_ch, "date_ch")
    app.add_template_filter(formatting.number, "number")
    app.add_template_filter(person, "person")
    app.add_template_filter(formatting.period_label, "period")
    app.add_template_filter(legal_basis, "legal_basis")
    app.add_template_filter(without_rule_ids, "plain")
    app.jinja_env.globals.update(label=label, line_status_label=line_status_label)
    app.jinja_env.globals.update(template_helpers())  # can(action, record), on_behalf(): the policy


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def csp_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)  # Flask-Admin's few inline scripts carry it

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # No inline script anywhere (no 'unsafe-inline', no inline handlers); the admin's widgets set
        # inline styles, so only style-src is relaxed there.
        style_src = "'self' 'unsafe-inline'" if request.path.startswith("/admin") else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{g.get('csp_nonce', '')}'; style-src {style_src}; "
            "img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'; object-src 'none'",
        )
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.after_request
    def no_offsite_redirects(response):
        # Whatever produced it (Flask-Admin's `url` parameter, a `next`), a redirect never leaves the site.
        location = response.headers.get("Location")
        if response.status_code in (301, 302, 303, 307, 308) and location \
                and not same_site_location(location, request.host):
            response.headers["Location"] = "/admin/" if request.path.startswith("/admin") else "/"
        return response
