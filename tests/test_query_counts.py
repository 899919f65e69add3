"""Issue 8: a run, an export and every list page cost the same number of queries for 10 and 200 municipalities."""
from datetime import date

from conftest import _PASSWORD_HASH as PASSWORD_HASH
from conftest import PASSWORD

from bench.synthetic import build, next_code
from models import Municipality, PayoutLine, PayoutRun, User
from models.querycount import count_queries
from services import exports, payout_runs

TODAY = date(2026, 11, 25)
PAGES = ["/admin/", "/admin/municipality/", "/admin/report/", "/admin/foreignpopulation/", "/admin/clawback/",
         "/admin/auditentry/", "/admin/contract/", "/admin/user/", "/admin/officerassignment/", "/admin/decision/",
         "/admin/budget/", "/admin/fristen/", "/admin/selfdeclaration/", "/admin/formversion/", "/admin/tariff/", "/runs", "/pruefung",
         "/budgets/2026", "/runs/<run>", "/runs/<run>/lines", "/runs/<run>/lines?seite=2",
         "/municipalities/<first>/payouts", "/gemeinden/<first>",
         "/controlling", "/controlling?bezirk=Thal", "/gemeinden/<first>/controlling"]  # issue 17: the dashboard
OFFICER_PAGES = ["/", "/gemeinden/<first>/reporting/2025/2", "/gemeinden/<first>/selbstdeklaration/2026",
                 "/municipalities/<first>/payouts", "/gemeinden/<first>/controlling"]


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
    municipality = Municipality.get(Municipality.bfs_nr == first_bfs)
    for role, pages in (("admin", PAGES), ("officer", OFFICER_PAGES)):
        if client.post("/login", data={"email": users[role].email, "password": PASSWORD}).location == "/login/code":
            client.post("/login/code", data={"code": next_code()})  # issue 20: the admin's second factor
        for key in pages:
            url = key.replace("<run>", str(run.id)).replace("<first>", str(municipality.id))
            client.get(url)  # warm up caches of Flask-Admin and Jinja
            with count_queries() as page:
                assert client.get(url).status_code == 200, url
            counts[f"{role} {key}"] = page.count
        client.post("/logout")
    counts["_run"] = run.id
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
    lists = {key: count for key, count in small.items() if key.startswith("admin /admin/") and key != "admin /admin/"}
    assert len(lists) == 14 and all(count <= 10 for count in lists.values()), lists
    # per-row lazy loads would not grow with the canton on one municipality's pages, but would break this bound
    pages = {key: count for key, count in small.items() if " /" in key}
    assert all(count <= 10 for count in pages.values()), pages
