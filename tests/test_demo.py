"""seed-demo: real municipalities and counts, one user per role, idempotent, refused in production."""
import re

from models import AuditEntry, Contract, Municipality, Report, User
from services.demo import DEMO_PASSWORD, DEMO_USERS


def test_seed_demo_loads_real_data_and_demo_users(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert Municipality.select().count() == 106
    assert {u.role for u in User.select()} == {"admin", "officer", "accountant", "auditor"}
    assert all(email in result.output for email, *_ in DEMO_USERS)
    contract = Contract.get()
    assert contract.reference.startswith("DEMO") and 2 <= contract.members.count() <= 3
    assert Report.select().where(Report.is_demo == False).count() == 0  # noqa: E712
    response = client.post("/login", data={"email": "admin@demo.so.ch", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    shown = re.search(r"aktueller Code <strong>(\d{6})</strong>", client.get("/login/code").get_data(as_text=True))
    assert client.post("/login/code", data={"code": shown.group(1)}).status_code == 302  # issue 20: demo code
    page = client.get("/admin/municipality/?page_size=200").get_data(as_text=True)
    assert all(re.search(rf">\s*{bfs}\s*<", page) for bfs in (2401, 2601, 2622))


def test_seed_demo_twice_changes_nothing(app, runner):
    runner.invoke(args=["seed-demo"])
    counts = (AuditEntry.select().count(), Report.select().count(), User.select().count())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (AuditEntry.select().count(), Report.select().count(), User.select().count()) == counts


def test_seed_demo_is_refused_in_production(app, runner):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "Produktion" in result.output
    assert Municipality.select().count() == 0


def test_lead_officer_sees_demo_members(app, runner, client):
    runner.invoke(args=["seed-demo"])
    client.post("/login", data={"email": "ib.hubersdorf@demo.so.ch", "password": DEMO_PASSWORD})
    page = client.get("/").get_data(as_text=True)
    for name in ("Hubersdorf", "Flumenthal", "Günsberg"):
        assert name in page
    assert "Solothurn</td>" not in page
