"""Configuration from the environment; production start refuses weak secrets and bad databases."""
import os
import stat

import pytest

from app import create_app
from config import StartupError


def test_production_refuses_to_start_without_secret_key(monkeypatch, database_url):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(StartupError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": database_url})


@pytest.mark.parametrize("weak", ["changeme", "a" * 40, "short-key"])
def test_production_refuses_a_weak_secret_key(monkeypatch, database_url, weak):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(StartupError):
        create_app({"DATABASE_URL": database_url})


def test_production_sets_secure_cookie_flags(monkeypatch, database_url):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "Zq8v-3kP_x9LmT2rWc7YhB4nJ6sD1fGa0eUoIuQ")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_development_secret_is_generated_once_with_mode_0600(monkeypatch, tmp_path, database_url):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    from config import load_secret_key

    first = load_secret_key(str(tmp_path), production=False)
    second = load_secret_key(str(tmp_path), production=False)
    assert first == second and len(first) >= 40
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_unreachable_database_gives_a_clear_message(tmp_path):
    with pytest.raises(StartupError, match="Datenbank nicht erreichbar"):
        create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x" * 40})
    with pytest.raises(StartupError, match="nicht unterstützt"):
        create_app({"DATABASE_URL": "mysql://x/y", "SECRET_KEY": "x" * 40})


def test_request_size_is_limited(app, client, auth):
    auth.login("admin")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    assert response.status_code == 413 and "zu gross" in response.get_data(as_text=True)
