"""Issue 8: a run, an export and every list page cost the same number of queries for 10 and 200 municipalities."""
from datetime import date

from conftest import _PASSWORD_HASH as PASSWORD_HASH
from conftest import PASSWORD

from bench.synthetic import build
from models import Municipality, PayoutLine, PayoutRun, User
from models.querycount import count_queries
from services import exports, payout_runs

TODAY = date(2026, 11, 25)
PAGES = ["/admin/", "/admin/municipality/", "/admin/report/", "/admin/foreignpopulation/", "/admin/clawback/",
         "/admin/auditentry/", "/runs", "/pruefung"]


def _measure(app, size, first_bfs):
    """Counts per operation after adding `size` municipalities."""
    counts = {}
    users = build(size, half_years=4, first_bfs=first_bfs)
    with count_queries() as prepare:
        run = payout_runs.prepare(users["admin"], date(2026, 3, 31), TODAY)
    counts["prepare"] = prepare.count
    with count_queries() as export:
        exports.payout_list(run)
    counts["export"] = export.count
    with count_queries() as anhang:
        exports.contributions(2026)
    counts["anhang1"] = anhang.count
    client = app.test_client()
    User.update(password_hash=PASSWORD_HASH).execute()
    client.post("/login", data={"email": "admin@bench.example", "password": PASSWORD})
    for url in PAGES + [f"/runs/{run.id}"]:
        client.get(url)  # warm up caches of Flask-Admin and Jinja
        with count_queries() as page:
            assert client.get(url).status_code == 200, url
        counts[url.replace(str(run.id), "<id>")] = page.count
    client.post("/logout")
    client.post("/login", data={"email": users["officer"].email, "password": PASSWORD})
    counts["_run"] = run.id
    municipality = Municipality.get(Municipality.bfs_nr == first_bfs)
    for url in ["/", f"/gemeinden/{municipality.id}/reporting/2025/2"]:
        client.get(url)
        with count_queries() as page:
            assert client.get(url).status_code == 200, url
        counts["officer " + url.replace(str(municipality.id), "<id>")] = page.count
    return counts


def test_query_counts_do_not_grow_with_the_number_of_municipalities(app):
    small = _measure(app, 10, first_bfs=1000)
    run_id = small.pop("_run")
    PayoutLine.delete().where(PayoutLine.run == run_id).execute()  # a draft: the larger canton prepares anew
    PayoutRun.delete().where(PayoutRun.id == run_id).execute()
    large = _measure(app, 190, first_bfs=2000)  # 200 municipalities in all
    large.pop("_run")
    assert Municipality.select().count() == 200
    assert small == large, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    assert small["prepare"] <= 20
    assert all(count <= 10 for key, count in small.items() if key.startswith("/admin/") and key != "/admin/"), small
