"""Long lists are paged (issue 8): every item on exactly one page, out-of-range pages show the nearest one."""
from datetime import date

from conftest import ensure_go_live
from hypothesis import given
from hypothesis import strategies as st

from services import paging, payout_runs


@given(items=st.lists(st.integers(), max_size=60), per_page=st.integers(1, 25), asked=st.integers(-5, 30))
def test_pages_cover_every_item_once_and_clamp_the_page_number(items, per_page, asked):
    pages = [paging.of_list(items, n, per_page) for n in range(1, len(items) // per_page + 2)]
    assert [item for page in pages[:pages[0].pages] for item in page.items] == items
    page = paging.of_list(items, asked, per_page)
    assert 1 <= page.page <= page.pages and page.total == len(items)
    assert len(page.items) <= per_page and (page.items or not items)
    if page.items:
        assert items[page.first - 1:page.last] == page.items


def test_run_page_pages_its_payees_and_keeps_the_run_total(app, client, auth, make_municipality, make_user,
                                                           monkeypatch):
    from tests.test_payout_runs import TODAY, _report, _town

    for bfs in (2601, 2602, 2603):
        _report(_town(make_municipality, make_user, bfs=bfs), 2023, 2, 8, 3, 2, 1)
    ensure_go_live(date(2024, 3, 31))
    run = payout_runs.prepare(make_user("admin"), date(2024, 3, 31), TODAY)
    monkeypatch.setattr("views.payouts.PAYEES_PER_PAGE", 2)
    auth.login("accountant")
    first = client.get(f"/runs/{run.id}").get_data(as_text=True)
    second = client.get(f"/runs/{run.id}?seite=2").get_data(as_text=True)
    assert "Empfänger 1–2 von 3" in first and "Ort 2601" in first and "Ort 2603" not in first
    assert "Empfänger 3–3 von 3" in second and "Ort 2603" in second and "Ort 2601" not in second
    total = payout_runs.run_summary(run)["total"]
    assert f'id="run-total">{total:,.2f}'.replace(",", "’") in second
