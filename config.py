"""Configuration from the environment; production refuses to start without a strong secret."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test", "password"}
MIN_SECRET_LENGTH = 32


class StartupError(SystemExit):
    """Printed as a plain message by the CLI and servers, without a stack trace."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    if not value.strip().isascii() or not value.strip().isdigit():
        raise StartupError(f"Start abgebrochen: {name}={value!r} ist keine ganze Zahl.")
    return int(value)


def is_strong_secret(key: str | None) -> bool:
    return bool(key) and key.lower() not in WEAK_SECRETS and len(key) >= MIN_SECRET_LENGTH and len(set(key)) >= 10


def load_secret_key(instance_path: str, production: bool) -> str:
    """SECRET_KEY from the environment; in development generated once into instance/ (0600)."""
    key = os.environ.get("SECRET_KEY")
    if production:
        if not is_strong_secret(key):
            raise StartupError(
                "Start verweigert: SECRET_KEY fehlt oder ist zu schwach "
                f"(mindestens {MIN_SECRET_LENGTH} zufällige Zeichen, z. B. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return key
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def is_production() -> bool:
    return os.environ.get("APP_ENV", "development") == "production"


def build_config(instance_path: str) -> dict:
    """All settings, read from the environment once."""
    production = is_production()
    default_db = f"sqlite:///{Path(instance_path) / 'start_integration.db'}"
    return {
        "PRODUCTION": production,
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "SECRET_KEY": None,  # filled in by load_secret_key once overrides are known
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(5 * 1024 * 1024))),
        # evidence of random samples (R24): outside static/, served only through a permission check
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", str(Path(instance_path) / "evidence")),
        "EVIDENCE_MAX_BYTES": int(os.environ.get("EVIDENCE_MAX_BYTES", str(4 * 1024 * 1024))),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "20 per minute"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 5 minutes"),  # per account and IP
        "LOGIN_ALERT_PER_ACCOUNT": os.environ.get("LOGIN_ALERT_PER_ACCOUNT", "20 per hour"),  # then an alert is logged
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
        # days before a deadline (R2, R3) from which `reminders send` reminds the officers (issue 15)
        "REMINDER_DAYS_BEFORE": _int("REMINDER_DAYS_BEFORE", 14),
        "WTF_CSRF_TIME_LIMIT": None,  # the session lifetime bounds the token instead
        **mail_config(instance_path),
    }


DEFAULT_MAIL_FROM = "start.integration Kanton Solothurn <noreply@start-integration.invalid>"


def mail_config(instance_path: str) -> dict:
    """Outgoing mail (issue 15). Without MAIL_SERVER messages are written to instance/mail/ as .eml files."""
    sender = os.environ.get("MAIL_FROM", DEFAULT_MAIL_FROM)
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), False),
        "MAIL_USE_SSL": _bool(os.environ.get("MAIL_USE_SSL"), False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        "MAIL_FROM": sender,
        "MAIL_DEFAULT_SENDER": sender,  # Flask-Mailman's name for it
        "MAIL_BACKEND": "smtp",  # also under TESTING: tests talk to a real (in-process) SMTP server
        "MAIL_DIR": os.environ.get("MAIL_DIR", str(Path(instance_path) / "mail")),
    }
