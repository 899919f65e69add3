"""`make bench`: national-scale benchmarks written to bench/results.md (issue 8).

Per database (SQLite; PostgreSQL when TEST_DATABASE_URL is set) and scale (106 and 2,131 municipalities):
median of 5 runs and SQL statement counts for preparing a run, the payout-list export, Anhang 1, the
population import and three pages, the raw-xlsxwriter limit, and page latency under 20 concurrent
clients against gunicorn on loopback compared with a bare Flask endpoint served the same way.
"""
import argparse
import http.cookiejar
import io
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from bench.synthetic import build  # noqa: E402
from models import Municipality, PayoutLine, User, db  # noqa: E402
from models.querycount import count_queries  # noqa: E402
from models.schema import upgrade  # noqa: E402
from services import exports, payout_runs  # noqa: E402
from services.audit import Actor  # noqa: E402
from services.imports import run_import  # noqa: E402
from services.reference_data import load_reference_data  # noqa: E402

RUNS = 5
PASSWORD = "Bench-Passwort-lang-2026"
TODAY = date(2026, 11, 25)
PAYOUT = date(2026, 3, 31)


def measure(fn, runs=RUNS):
    """Median seconds of `runs` calls and the statement count of the last one."""
    times, queries = [], 0
    for _ in range(runs):
        with count_queries() as counter:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        queries = counter.count
    return statistics.median(times), queries


def raw_payout_list(rows_payees, rows_details) -> bytes:
    """The limit: the same cells written by a minimal xlsxwriter script."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    money = book.add_format({"num_format": "#,##0.00"})
    for name, rows in (("Auszahlungen", rows_payees), ("Details", rows_details), ("Rechnungen", [])):
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, money)
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def reset(url: str) -> None:
    if url.startswith("postgresql"):
        from models.database import make_database

        database = make_database(url)
        database.connect()
        database.execute_sql("DROP SCHEMA public CASCADE")
        database.execute_sql("CREATE SCHEMA public")
        database.close()


def scenario(url: str, scale: int) -> dict:
    reset(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijkl",
                      "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    results = {}
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        load_reference_data(Actor.cli("bench"))
        start = time.perf_counter()
        users = build(scale)
        results["build"] = time.perf_counter() - start
        User.update(password_hash=hash_password(PASSWORD)).where(
            User.email.in_([users["admin"].email, users["officer"].email])).execute()
        admin = User.get_by_id(users["admin"].id)
        results["prepare"] = measure(lambda: payout_runs.prepare(admin, PAYOUT, TODAY))
        run = payout_runs.prepare(admin, PAYOUT, TODAY)
        results["lines"] = PayoutLine.select().where(PayoutLine.run == run.id).count()
        results["export"] = measure(lambda: exports.payout_list(run))
        tracemalloc.start()
        exports.payout_list(run)
        results["export_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        results["anhang1"] = measure(lambda: exports.contributions(2026))
        book = exports.payout_list(run)
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(book), read_only=True)
        payees = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        details = [list(r) for r in workbook.worksheets[1].iter_rows(values_only=True)]
        workbook.close()
        results["payees"] = len(payees) - 2
        results["raw"] = measure(lambda: raw_payout_list(payees, details))
        bfs = [m.bfs_nr for m in Municipality.select(Municipality.bfs_nr)]
        years = iter(range(2030, 2030 + RUNS))

        def import_population():
            year = next(years)
            csv = "bfs_nr,reference_date,foreign_residents\n" + "".join(f"{b},{year}-12-31,{b % 977}\n" for b in bfs)
            result = run_import("population", "bestand.csv", csv.encode(), Actor.cli("bench"))
            assert result.ok and result.created == len(bfs), result.errors[:3]

        results["import"] = measure(import_population)
        client = app.test_client()
        municipality = Municipality.get(Municipality.bfs_nr == 1000)
        pages = {}
        for email, urls in ((users["officer"].email, ["/", f"/gemeinden/{municipality.id}/reporting/2025/2"]),
                            (users["admin"].email, ["/admin/municipality/"])):
            client.post("/login", data={"email": email, "password": PASSWORD})
            for page_url in urls:
                client.get(page_url)
                pages[page_url.replace(str(municipality.id), "<id>")] = measure(lambda u=page_url: client.get(u))
            client.post("/logout")
        results["pages"] = pages
        db.close()
    return results


# --- latency under concurrency ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b",
                                f"127.0.0.1:{port}", "--log-level", "warning", target],
                               cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def session(base: str, email: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html)
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token.group(1)}).encode()
    opener.open(base + "/login", data=data)
    return opener


def load(base: str, plan: list[tuple[str | None, list[str]]], clients=20, requests_each=30,
         seconds: float | None = None) -> dict:
    """`clients` threads, each with its own session (plan entries round-robin), cycling through its pages
    for `requests_each` requests or, when given, for `seconds`; latency per request."""
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds if seconds else None

    def worker(index):
        email, urls = plan[index % len(plan)]
        opener = session(base, email) if email else urllib.request.build_opener()
        n = 0
        while (time.perf_counter() < deadline) if deadline else n < requests_each:
            url = urls[n % len(urls)]
            n += 1
            start = time.perf_counter()
            try:
                response = opener.open(base + url, timeout=30)
                response.read()
                ok = response.status == 200
            except OSError as exc:
                ok, url = False, f"{url}: {exc}"
            with lock:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append(url)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    return {"p50": statistics.median(latencies), "p95": quantiles[94], "p99": quantiles[98],
            "rps": len(latencies) / wall, "errors": len(errors), "requests": len(latencies), "wall": wall,
            "error_samples": errors[:10]}


def latency(url: str, scale: int) -> dict:
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijkl",
           "LOGIN_LIMIT_PER_IP": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute"}
    process, base = serve("app:create_app()", env)
    try:
        app_stats = load(base, [
            ("ib1000@bench.example", ["/", "/gemeinden/1/reporting/2025/2"]),
            ("admin@bench.example", ["/admin/municipality/", "/runs"]),
        ])
    finally:
        process.terminate()
        process.wait()
    process, base = serve("bench.bare:app", {})
    try:
        bare = load(base, [(None, ["/bare"])])
    finally:
        process.terminate()
        process.wait()
    return {"app": app_stats, "bare": bare}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?")
    return (f"{os.cpu_count()} CPU ({cpu}), {int(memory) // 1024} MB RAM, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms".replace(",", "’")


def report(all_results: dict, latencies: dict, path: Path) -> None:
    lines = [f"# Benchmarks ({date.today():%d.%m.%Y})", "", f"Machine: {machine()}.", "",
             "Median of 5 runs; *queries* = SQL statements sent. Targets (issue 8): preparation at 2’131 ≤ 1 s "
             "and ≤ 20 queries; payout export ≤ 1.2 × the raw-xlsxwriter limit and ≤ 50 MB; list pages ≤ 10 "
             "queries; page p95 ≤ 50 ms at 20 concurrent clients; population import of 2’131 rows ≤ 2 s.", ""]
    for database, scales in all_results.items():
        lines += [f"## {database}", "", "| measure | " + " | ".join(f"{s:,} municipalities".replace(",", "’")
                                                                       for s in scales) + " |",
                  "|---|" + "---|" * len(scales)]
        rows = [("(a) prepare run 31.03.2026", "prepare"), ("(b) payout-list export", "export"),
                ("(c) Anhang 1 export", "anhang1"), ("(d) population import (all rows new)", "import"),
                ("(f) raw xlsxwriter, same cells", "raw")]
        for label, key in rows:
            lines.append(f"| {label} | " + " | ".join(f"{ms(r[key][0])}, {r[key][1]} queries" for r in scales.values())
                         + " |")
        lines.append("| ratio (b)/(f) | " + " | ".join(f"{r['export'][0] / r['raw'][0]:.2f}" for r in scales.values())
                     + " |")
        lines.append("| export peak memory (tracemalloc) | " + " | ".join(f"{r['export_peak_mb']:.1f} MB"
                                                                            for r in scales.values()) + " |")
        lines.append("| lines / payees in the run | " + " | ".join(f"{r['lines']:,} / {r['payees']:,}".replace(",", "’")
                                                                     for r in scales.values()) + " |")
        for page in next(iter(scales.values()))["pages"]:
            lines.append(f"| (e) page `{page}` | " + " | ".join(
                f"{ms(r['pages'][page][0])}, {r['pages'][page][1]} queries" for r in scales.values()) + " |")
        lines.append("")
    if latencies:
        lines += ["## (g) Latency under 20 concurrent clients (gunicorn, 2 workers × 4 threads, loopback, SQLite)", "",
                  "| scale | app p50 | app p95 | app req/s | errors | bare Flask p50 | bare p95 | p95 ratio |",
                  "|---|---|---|---|---|---|---|---|"]
        for scale, result in latencies.items():
            a, b = result["app"], result["bare"]
            lines.append(f"| {scale:,} | {ms(a['p50'])} | {ms(a['p95'])} | {a['rps']:.0f} | {a['errors']} | "
                         f"{ms(b['p50'])} | {ms(b['p95'])} | {a['p95'] / b['p95']:.1f} |".replace(",", "’"))
        lines.append("")
        lines.append("Pages in the mix: officer home, report form (officer), admin municipality list, runs list.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="106,2131")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    databases = {"SQLite": None}
    if os.environ.get("TEST_DATABASE_URL"):
        databases["PostgreSQL"] = os.environ["TEST_DATABASE_URL"]
    all_results, latencies = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in databases.items():
            all_results[name] = {}
            for scale in scales:
                database_url = url or f"sqlite:///{tmp}/bench-{scale}.db"
                print(f"{name} {scale} …", flush=True)
                all_results[name][scale] = scenario(database_url, scale)
                if url is None:
                    latencies[scale] = latency(database_url, scale)
    report(all_results, latencies, Path(args.output))
    print(Path(args.output).read_text())


if __name__ == "__main__":
    main()
