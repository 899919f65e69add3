"""Browser journey in Debian's Chromium: the demo admin logs in and sees the real municipalities."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from services.demo import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"


def _require_browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI braucht Debians chromium (.ci/run installiert es)")
        pytest.skip("Debians chromium fehlt: apt-get install chromium (in CI Pflicht)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright fehlt: make test installiert die Test-Extras")
    return sync_playwright


@pytest.fixture
def live_server(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(live_server):
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def test_demo_admin_logs_in_and_sees_real_municipalities(page, live_server):
    page.goto(live_server + "/admin/municipality/")
    assert "/login" in page.url  # anonymous users are sent to the login page
    page.get_by_label("E-Mail").fill("admin@demo.so.ch")
    page.get_by_label("Passwort").fill("falsches-passwort-123")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_text("E-Mail oder Passwort ist falsch.").is_visible()
    page.get_by_label("E-Mail").fill("admin@demo.so.ch")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/admin/municipality/**")
    assert page.get_by_role("cell", name="Egerkingen").is_visible()
    page.goto(live_server + "/admin/municipality/?search=Solothurn")
    assert page.get_by_role("cell", name="2601", exact=True).is_visible()
    page.get_by_role("button", name="Abmelden").click()
    page.goto(live_server + "/admin/")
    assert "/login" in page.url


def test_officer_sees_only_own_and_member_municipalities(page, live_server):
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill("ib.hubersdorf@demo.so.ch")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(live_server + "/")
    for name in ("Hubersdorf", "Flumenthal", "Günsberg"):
        assert page.get_by_role("cell", name=name, exact=True).is_visible()
    assert page.get_by_role("cell", name="Solothurn", exact=True).count() == 0
    page.goto(live_server + "/admin/")
    assert page.get_by_text("Kein Zugriff").is_visible()
