"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""
import os
import re
from datetime import date

import pyotp
import pytest
from schwifty import IBAN

from app import create_app
from auth.passwords import hash_password
from auth.second_factor import REQUIRED_ROLES, current_code
from extensions import limiter
from models import Contract, ContractMember, Municipality, OfficerAssignment, User, db, utcnow
from models.database import DatabaseUnavailable, check_connection, make_database
from models.schema import upgrade
from services import payout_runs
from services.audit import Actor
from services.reference_data import load_reference_data
from services.settings import go_live as go_live_date
from services.settings import set_go_live

PG_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "Korrekt-Pferd-Batterie-42"
_PASSWORD_HASH = hash_password(PASSWORD)


def pytest_report_header(config):
    return f"Datenbank: {PG_URL or 'SQLite (Datei pro Test)'}"


def pytest_sessionstart(session):
    if PG_URL:
        try:
            check_connection(make_database(PG_URL))
        except DatabaseUnavailable as exc:
            pytest.exit(f"TEST_DATABASE_URL ist gesetzt, aber nicht erreichbar: {exc}", returncode=3)


def reset_postgres(url: str) -> None:
    database = make_database(url)
    database.connect()
    database.execute_sql("DROP SCHEMA public CASCADE")
    database.execute_sql("CREATE SCHEMA public")
    database.close()


@pytest.fixture
def database_url(tmp_path):
    if PG_URL:
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build an app on the test database (schema and reference data not yet created)."""
    created = []

    def factory(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            **overrides,
        }
        application = create_app(config)
        created.append(application)
        return application

    yield factory
    if not db.is_closed():
        db.close()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        upgrade()
        load_reference_data(Actor.cli("test"))
    limiter.reset()
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_municipality(app):
    counter = iter(range(3001, 9999))

    def factory(**kw):
        bfs = kw.pop("bfs_nr", None) or next(counter)
        kw.setdefault("name", f"Testgemeinde {bfs}")
        kw.setdefault("district", "Lebern")
        kw.setdefault("creditor_number", f"K-{bfs}")  # a payee needs bank data (issue 13)
        kw.setdefault("iban", sample_iban(bfs))
        return Municipality.create(bfs_nr=bfs, **kw)

    return factory


def sample_iban(number: int) -> str:
    """A valid Swiss IBAN, different per number (PostFinance bank code, invented account)."""
    return IBAN.generate("CH", bank_code="09000", account_code=str(number).zfill(12)).compact


def approve(user, run):
    """Approve the version of the run the test holds, as the accountant's page does (issue 13)."""
    return payout_runs.approve(user, run.id, run.version)


def ensure_go_live(day: date) -> None:
    """Set go-live once (tests that prepare runs start there, as a first run did before issue 13)."""
    if go_live_date() is None:
        set_go_live(day, operator="test")


@pytest.fixture
def go_live(app):
    """Record the go-live date as `flask settings go-live` does (issue 13); returns the setter."""
    def factory(day=date(2018, 3, 31)):
        return set_go_live(day, operator="test")

    return factory


@pytest.fixture
def make_user(app, make_municipality):
    counter = iter(range(1, 10000))

    def factory(role="admin", email=None, municipality=None, valid_from=date(2017, 1, 1), second_factor=None, **kw):
        email = email or f"{role}{next(counter)}@test.so.ch"
        if second_factor is None:
            second_factor = role in REQUIRED_ROLES  # issue 20: these roles log in with a code
        if second_factor:
            kw.update(totp_secret=pyotp.random_base32(), totp_enabled_at=utcnow())
        user = User.create(email=email, role=role, name=kw.pop("name", role.title()),
                           password_hash=_PASSWORD_HASH, **kw)
        if role == "officer":
            municipality = municipality or make_municipality()
            OfficerAssignment.create(user=user, municipality=municipality, valid_from=valid_from)
        return user

    return factory


@pytest.fixture
def make_contract(app, make_municipality):
    def factory(lead, members, valid_from=date(2024, 1, 1), valid_to=None, payee="lead", reference=None):
        contract = Contract.create(reference=reference or f"Vertrag {lead.name}", lead=lead,
                                   payee=payee, valid_from=valid_from, valid_to=valid_to)
        for member in members:
            ContractMember.create(contract=contract, municipality=member, valid_from=valid_from,
                                  valid_to=valid_to)
        return contract

    return factory


class AuthActions:
    def __init__(self, client, make_user):
        self._client = client
        self._make_user = make_user

    def login(self, role="admin", user=None, **kw):
        user = user or self._make_user(role=role, **kw)
        response = self._client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "login failed"
        if response.headers["Location"].startswith("/login/code"):
            response = self._client.post("/login/code", data={"code": totp_code(user)})
            assert response.status_code == 302, "second factor failed"
        return user

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client, make_user):
    return AuthActions(client, make_user)


def totp_code(user) -> str:
    """The user's current code; the test forgets the last used step so that a user can log in again at once."""
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    return current_code(User.get_by_id(user.id).totp_secret)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def run_concurrently(app, targets) -> list[str]:
    """Start all targets at once (a barrier), each in its own thread and connection; return their outcomes:
    "ok", "refused" (DomainError) or the name of another exception (e.g. a lock timeout)."""
    import threading

    from services.errors import DomainError

    barrier = threading.Barrier(len(targets))
    outcomes = []

    def run(target):
        with app.app_context(), db.connection_context():
            barrier.wait()
            try:
                target()
                outcomes.append("ok")
            except DomainError:
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported, and the tests assert no second write
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
