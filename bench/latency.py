"""(g) of `make bench` and the load test: the app under gunicorn on loopback, simulated clients that each
keep their own session like a browser tab, and a bare Flask endpoint served the same way."""
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from bench.synthetic import next_code

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Passwort-lang-2026"
SECRET = "bench-secret-key-0123456789-abcdefghijkl"
# Sync workers as in production (README); on 2 cores 3–4 processes beat 2 × 4 threads (GIL).
WORKERS = 4
GUNICORN = f"gunicorn, {WORKERS} sync workers, loopback"
# Closed loop without think time measures saturation; with think time, the latency 20 people see.
MODES = {"ohne Denkzeit": {"think": 0.0, "requests_each": 30},
         "Denkzeit 1 s": {"think": 1.0, "seconds": 30}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning", target],
                               cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if Client(port).request("GET", "/healthz")[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class Client:
    """One simulated user: an HTTP connection (reopened when the server closes it) and the cookies set."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed the connection under us: reconnect once
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, data

    def login(self, email: str) -> None:
        _, html = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
        status, _ = self.request("POST", "/login", {"email": email, "password": PASSWORD,
                                                    "csrf_token": token.group(1).decode()})
        if status != 302:
            raise RuntimeError(f"login of {email} failed: {status}")
        status, html = self.request("GET", "/login/code")
        if status == 200:  # issue 20: the money roles give a code (the bench users have one-time codes)
            token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
            status, _ = self.request("POST", "/login/code", {"code": next_code(),
                                                             "csrf_token": token.group(1).decode()})
            if status != 302:
                raise RuntimeError(f"second factor of {email} failed: {status}")


def load(port: int, plan: list[tuple[str | None, list[str]]], clients=20, requests_each=30,
         seconds: float | None = None, think: float = 0.0) -> dict:
    """`clients` threads, each with its own session (plan entries round-robin), cycling through its pages for
    `requests_each` requests or, when given, for `seconds`, pausing `think` ± 50 % seconds between requests."""
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def worker(index):
        email, urls = plan[index % len(plan)]
        client = Client(port)
        if email:
            client.login(email)
        pause = random.Random(index)
        ready.wait()
        deadline = time.perf_counter() + seconds if seconds else None
        n = 0
        while (time.perf_counter() < deadline) if deadline else n < requests_each:
            url = urls[n % len(urls)]
            n += 1
            start = time.perf_counter()
            try:
                status, _ = client.request("GET", url)
                ok = status == 200
            except (OSError, http.client.HTTPException) as exc:
                ok, url = False, f"{url}: {exc}"
            with lock:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append(url)
            if think:
                time.sleep(pause.uniform(think / 2, think * 3 / 2))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()  # logins are not measured
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    return {"p50": statistics.median(latencies), "p95": quantiles[94], "p99": quantiles[98],
            "rps": len(latencies) / wall, "errors": len(errors), "requests": len(latencies), "wall": wall,
            "error_samples": errors[:10]}


def latency(url: str, plan: list[tuple[str | None, list[str]]]) -> dict:
    """Per mode: the app's pages and the bare endpoint, each under 20 clients."""
    results = {}
    for target, env, target_plan in (
            ("app:create_app()", {"DATABASE_URL": url, "SECRET_KEY": SECRET, "LOGIN_LIMIT_PER_IP": "10000 per minute",
                                  "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute"}, plan),
            ("bench.bare:app", {}, [(None, ["/bare"])])):
        process, port = serve(target, env)
        try:
            load(port, target_plan, clients=4, requests_each=20)  # warm-up: templates compiled in every worker
            for mode, options in MODES.items():
                results.setdefault(mode, {})["bare" if target.startswith("bench") else "app"] = load(
                    port, target_plan, **options)
        finally:
            process.terminate()
            process.wait()
    return results
