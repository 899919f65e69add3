"""Issue 18: every page a role reaches from its start page is German, `lang="de-CH"`, has one h1, and shows no
English leftover, rule id or code; the start page lists the role's next tasks with counts and links.

The walk follows the links of each role's start page (one click) on the demo data, as a newcomer would.
"""
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from conftest import totp_code

from core.calendar import HalfYear
from models import Municipality, Report, SelfDeclaration, Status, User
from services import submissions

# What reached people before issue 18 (English UI of Flask-Admin, stored codes, model names, rule ids).
LEFTOVERS = [
    "draft", "submitted", "returned", "accepted", "approved", "booked", "payable", "withheld",
    "Failed to save", "items", "Save", "Cancel", "Delete", "Edit", "Create", "Search", "Add Filter", "List",
    "View Record", "Toggle navigation", "Home", "Back", "Next", "Previous", "Actions", "Apply",
    "PayoutRun", "Municipality", "SelfDeclaration", "AuditEntry", "prepare", "approve", "queue",
    "Su Mo", "UTC", "EG/IG", "Fallpauschale EG", "zahlbar ausbezahlt",
]
RULE_ID = re.compile(r"\bR\d{1,2}\b")
SKIP_TEXT_OF = {"script", "style", "code", "pre", "option"}  # options name codes the user picks (e.g. IBAN)


class _Page(HTMLParser):
    """Visible text (and the attributes people read), the html lang, the h1 count and the links."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self.h1, self.lang, self._skip, self._skipped = [], [], 0, None, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        hidden = "display:none" in (attrs.get("style") or "").replace(" ", "") or "hidden" in attrs \
            or "d-none" in (attrs.get("class") or "").split()
        if tag in SKIP_TEXT_OF or hidden:  # data for scripts (Flask-Admin's filter JSON) is not read by people
            self._skip += 1
            self._skipped.append(tag)
        elif self._skipped and tag == self._skipped[-1]:
            self._skip += 1
            self._skipped.append(tag)
        for name in ("title", "aria-label", "placeholder", "alt"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag in ("input", "button") and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if self._skipped and tag == self._skipped[-1]:
            self._skipped.pop()
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _english(text: str) -> list[str]:
    found = [word for word in LEFTOVERS if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    return found + RULE_ID.findall(text)


def _login(client, email):
    user = User.get(User.email == email)
    response = client.post("/login", data={"email": email, "password": "Demo-Zugang-2026!"})
    assert response.status_code == 302
    if response.headers["Location"].startswith("/login/code"):
        assert client.post("/login/code", data={"code": totp_code(user)}).status_code == 302
    return user


def _walk(client, start="/"):
    """The start page and every page one click away (GETs on this site; downloads and logout left out)."""
    response = client.get(start, follow_redirects=True)
    first = response.request.path
    pages = {first: response.get_data(as_text=True)}
    for href in _read(pages[first]).links:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith("/") or parts.path.endswith((".pdf", ".xlsx", ".xml")) \
                or parts.path in pages or "logout" in parts.path:
            continue
        reply = client.get(href)
        assert reply.status_code in (200, 302), (href, reply.status_code)
        if reply.status_code == 200 and reply.mimetype == "text/html":
            pages[href] = reply.get_data(as_text=True)
    return pages


ROLES = {"admin": "admin@demo.so.ch", "officer": "ib.hubersdorf@demo.so.ch",
         "accountant": "buchhaltung@demo.so.ch", "auditor": "finanzkontrolle@demo.so.ch"}


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_one_click_from_the_start_is_german_with_lang_and_one_h1(client, demo, role):
    _login(client, ROLES[role])
    pages = _walk(client)
    assert len(pages) >= 4, list(pages)
    problems = {}
    for url, html in pages.items():
        page = _read(html)
        text = " ".join(page.text)
        found = _english(text)
        if page.lang != "de-CH" or page.h1 != 1 or found:
            problems[url] = {"lang": page.lang, "h1": page.h1, "english": found}
    assert not problems, problems


def test_the_known_leftovers_are_found_by_the_check():
    """The check itself: it finds what issue 18 reported, and German text passes."""
    assert _english("Status: draft") == ["draft"]
    assert _english("Failed to save record.") == ["Failed to save"]
    assert _english("50 items") == ["items"]
    assert _english("Hilfe (R19)") == ["R19"]
    assert _english("Eingereicht · Auszahlung per 31.03.2026 · 50 Einträge pro Seite") == []


def test_start_pages_list_the_next_tasks_with_counts_and_links(client, demo):
    """Admin: forms to review; accountant: the run waiting for approval (the demo prepares one)."""
    _login(client, ROLES["admin"])
    if not Report.select().where(Report.status == Status.SUBMITTED).exists():  # one handed in for this test
        Report.create(municipality=Municipality.get(Municipality.bfs_nr == 2601), year=2026, half=1,
                      status=Status.SUBMITTED, form_version=submissions.report_version(HalfYear(2026, 1)))
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    tasks = page.split('id="tasks"')[1].split("</section>")[0]
    submitted = (Report.select().where(Report.status == Status.SUBMITTED).count()
                 + SelfDeclaration.select().where(SelfDeclaration.status == Status.SUBMITTED).count())
    assert re.search(rf'href="/pruefung">{submitted} Formulare? zu prüfen', tasks), tasks
    client.post("/logout")
    _login(client, ROLES["accountant"])
    page = client.get("/").get_data(as_text=True)
    tasks = page.split('id="tasks"')[1].split("</section>")[0]
    assert re.search(r'href="/runs/\d+">1 Lauf wartet auf Freigabe', tasks), tasks
    assert "Rechnungen" in page and "Auszahlungen" in page  # the accountant's navigation
