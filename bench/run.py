"""`make bench`: serve the site and a bare Django page with gunicorn, load both with wrk.

Loopback only, bounded in time. Prints a table (requests/s median, p50, p99, ratio to the
ceiling) and writes the figures to var/bench/<time>.json.

Environment: BENCH_ESSAYS (synthetic essays, default 2000), BENCH_SECONDS (per run, 5),
BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), BENCH_WORKERS (gunicorn workers, 2),
BENCH_DATABASE_URL (a PostgreSQL database this script may drop and recreate).
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ESSAYS = int(os.environ.get("BENCH_ESSAYS", "2000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/thinktank_bench"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(static_root):
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "TASKS_BACKEND": "database",
        "NEWSLETTER_SIGNUP_RATE_LIMIT": "100000000/600",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    return env


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_database(env):
    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin_url, "-q", "-c", sql], check=True)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_demo_content")
    manage(env, "generate_content", "--essays", str(ESSAYS))
    manage(env, "collectstatic", "--no-input", "-v0")


def start_gunicorn(app, port, env):
    process = subprocess.Popen(
        [
            PY, "-m", "gunicorn", app,
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS),
            "--worker-class", "sync",
            "--log-level", "warning",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (the ceiling has no /healthz)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn {app} did not start")


def worker_rss_mb(process):
    """Return the resident memory of each gunicorn worker (children of the master), in MB."""
    sizes = []
    for child in Path("/proc").glob("[0-9]*"):
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{process.pid}$", status, re.M):
            kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
            sizes.append(round(kb / 1024, 1))
    return sizes


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, script=None):
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latencies = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50_ms": latencies.get("50"),
        "p99_ms": latencies.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def signup_script(base):
    """Write a wrk Lua script POSTing sign-ups with a valid CSRF cookie and token."""
    with urllib.request.urlopen(f"{base}/newsletter/") as response:  # noqa: S310
        html = response.read().decode()
        cookie = response.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(
        f"""
counter = 0
request = function()
  counter = counter + 1
  local body = "csrfmiddlewaretoken={token}&consent=on&source=%2F&email=bench" ..
    math.random(1, 1000000000) .. "-" .. counter .. "%40example.org"
  return wrk.format("POST", "/newsletter/", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "{cookie}",
    ["Referer"] = "{base}/newsletter/",
  }}, body)
end
"""
    )
    script.close()
    return script.name


DEMO_SERIES = "/series/mutualism-social-democratic-policy-in-an-age-of-austerity/"


def pages(base):
    """Return (name, url, script) for every page the benchmark loads."""
    with urllib.request.urlopen(f"{base}/ideas/") as response:  # noqa: S310
        ideas = response.read().decode()
    last_page = max(int(n) for n in re.findall(r"Page \d+ of (\d+)", ideas) or ["1"])
    essay = re.search(r'href="(/essays/[^"/]+/)"', ideas).group(1)
    author = re.search(r'href="(/authors/[^"/]+/)"', ideas).group(1)
    topic = re.search(r'href="\?topic=([^"&]+)"', ideas).group(1)
    return [
        ("home", f"{base}/", None),
        ("ideas", f"{base}/ideas/", None),
        ("ideas deep page", f"{base}/ideas/?page={max(1, last_page - 1)}", None),
        ("series", f"{base}{DEMO_SERIES}", None),
        ("essay", f"{base}{essay}", None),
        ("author", f"{base}{author}", None),
        ("topic", f"{base}/topics/{topic}/", None),
        ("search", f"{base}/search/?q=mutual+co-operative", None),
        ("atom feed", f"{base}/feeds/essays/", None),
        ("sitemap", f"{base}/sitemap-essays.xml", None),
        ("sign-up POST", f"{base}/", signup_script(base)),
    ]  # fmt: skip


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    static_root = Path(tempfile.mkdtemp(prefix="thinktank-bench-static-"))
    env = site_env(static_root)
    print(f"Preparing {DATABASE_URL} with the demo content and {ESSAYS} synthetic essays")
    prepare_database(env)
    site_port, ceiling_port = free_port(), free_port()
    site = start_gunicorn("thinktank.wsgi", site_port, env)
    ceiling = start_gunicorn("bench.ceiling", ceiling_port, env)
    results = {}
    try:
        base = f"http://127.0.0.1:{site_port}"
        plan = pages(base)
        for _name, url, _script in plan:  # warm both, so the first round measures no start-up
            urllib.request.urlopen(url, timeout=10).read()  # noqa: S310
        for round_number in range(1, ROUNDS + 1):
            print(f"Round {round_number}/{ROUNDS}")
            for name, url, script in plan:
                # Interleaved: each page is measured right after the ceiling, in the same
                # conditions, so a noisy neighbour shifts both.
                ceiling_url = f"http://127.0.0.1:{ceiling_port}/"
                results.setdefault("ceiling", []).append(wrk(ceiling_url))
                results.setdefault(name, []).append(wrk(url, script))
        memory = {"site": worker_rss_mb(site), "ceiling": worker_rss_mb(ceiling)}
    finally:
        for process in (site, ceiling):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    report(results, memory)


def report(results, memory):
    ceiling = statistics.median(r["rps"] for r in results["ceiling"])
    rows = []
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        rows.append(
            {
                "page": name,
                "rps": round(rps, 1),
                "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
                "ratio": round(rps / ceiling, 3),
                "non_2xx": sum(r["non_2xx"] for r in runs),
            }
        )
    print(f"\n{'page':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}{'non-2xx':>9}")
    for row in rows:
        print(
            f"{row['page']:<18}{row['rps']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"{row['ratio']:>8}{row['non_2xx']:>9}"
        )
    print(f"\nWorker resident memory (MB): {memory}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "essays": ESSAYS,
                "seconds": SECONDS,
                "rounds": ROUNDS,
                "connections": CONNECTIONS,
                "workers": WORKERS,
                "rows": rows,
                "worker_rss_mb": memory,
            },
            indent=2,
        )
    )
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
