"""Load test (issue 7): simulated officers, admins and accountants against gunicorn on loopback.

    .venv/bin/python bench/load.py --users 50 --seconds 300 [--think 1]

Builds a synthetic canton of 106 municipalities in a temporary SQLite database, serves the app with
gunicorn (4 sync workers) and lets each user loop over the pages of their role for the given
time (without pauses unless --think is given). Prints requests/s, p50/p95/p99 and errors (the README records a run).
"""
import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from bench.latency import PASSWORD, SECRET, load, serve  # noqa: E402
from bench.synthetic import build  # noqa: E402
from models import Municipality, User, db  # noqa: E402
from models.schema import upgrade  # noqa: E402
from services import payout_runs  # noqa: E402
from services.audit import Actor  # noqa: E402
from services.reference_data import load_reference_data  # noqa: E402


def prepare_database(url: str) -> dict[str, list[str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "DATABASE_URL": url})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        load_reference_data(Actor.cli("load"))
        users = build(106)
        User.update(password_hash=hash_password(PASSWORD)).execute()
        run = payout_runs.prepare(users["admin"], date(2026, 3, 31), date(2026, 11, 25))
        first = Municipality.get(Municipality.bfs_nr == 1000)
        mixes = {
            "officer": ["/", f"/gemeinden/{first.id}/reporting/2025/2", f"/gemeinden/{first.id}/selbstdeklaration/2026",
                        f"/municipalities/{first.id}/payouts"],
            "admin": ["/admin/", "/admin/municipality/", "/admin/report/", "/pruefung", f"/runs/{run.id}"],
            "accountant": ["/runs", f"/runs/{run.id}", f"/runs/{run.id}/lines", "/budgets/2026"],
        }
        db.close()
    return mixes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a user's requests, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/load.db"
        mixes = prepare_database(url)
        emails = {"officer": "ib1000@bench.example", "admin": "admin@bench.example",
                  "accountant": "konto@bench.example"}
        process, port = serve("app:create_app()", {
            "DATABASE_URL": url, "SECRET_KEY": SECRET,
            "LOGIN_LIMIT_PER_IP": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
            "SESSION_IDLE_MINUTES": "60"})
        roles = ["officer"] * 3 + ["admin"] + ["accountant"]
        try:
            result = load(port, [(emails[role], mixes[role]) for role in roles], clients=args.users,
                          seconds=args.seconds, think=args.think)
        finally:
            process.terminate()
            process.wait()
    print(f"{args.users} users, {result['wall']:.0f} s: {result['requests']} requests, {result['rps']:.1f} req/s, "
          f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, "
          f"errors {result['errors']}")
    for error in result["error_samples"]:
        print("  error:", error)


if __name__ == "__main__":
    main()
