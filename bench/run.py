"""`make bench`: serve the site and a bare Django page with gunicorn, load both with wrk.

Loopback only, bounded in time. Prints a table (requests/s median, p50, p99, ratio to the
ceiling) and writes the figures to var/bench/<time>.json.

Each page is measured twice, on two servers over the same database: with the page cache
(the default) and with it off (PAGE_CACHE=0), each run right after one of the ceiling.
The floors (bench/ceiling.py) are measured the same way: what one query, or rendering a
listing's cards, leaves of the ceiling before a page does anything else.

Environment: BENCH_ESSAYS (synthetic essays, default 1000; a comma-separated list such as
"100,100000" benchmarks each size and prints how throughput holds up as the archive grows),
BENCH_SECONDS (per run, 4), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), BENCH_WORKERS
(gunicorn workers, 2), BENCH_DATABASE_URL (a PostgreSQL database this script may drop and
recreate).
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
SIZES = [int(size) for size in os.environ.get("BENCH_ESSAYS", "1000").split(",")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
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


def prepare_database(env, essays):
    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin_url, "-q", "-c", sql], check=True)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_demo_content")
    started = time.monotonic()
    manage(env, "generate_content", "--essays", str(essays))
    print(f"Generated {essays} essays in {time.monotonic() - started:.0f} s")
    manage(env, "collectstatic", "--no-input", "-v0")


def start_gunicorn(app, port, env, probe="/healthz"):
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
    process.port = port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2)
            return process
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
    # As browsers and feed readers do: the page cache answers them with its gzipped copy.
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    command[1:1] = ["-H", "Accept-Encoding: gzip"]
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
    """Write a wrk Lua script POSTing sign-ups as a browser does from one of our pages."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(
        f"""
counter = 0
request = function()
  counter = counter + 1
  local body = "consent=on&source=%2F&email=bench" ..
    math.random(1, 1000000000) .. "-" .. counter .. "%40example.org"
  return wrk.format("POST", "/newsletter/", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "{base}",
    ["Sec-Fetch-Site"] = "same-origin",
  }}, body)
end
"""
    )
    script.close()
    return script.name


# Bare views beside the ceiling that each do one part of a real page's work (bench/ceiling.py):
# what that part alone leaves of the ceiling on this machine.
FLOORS = [
    ("one query", "/floor/query"),
    ("card template", "/floor/cards"),
    ("query + cards", "/floor/query-cards"),
    ("... with Jinja2", "/floor/query-cards-jinja2"),
]

DEMO_SERIES = "/series/mutualism-social-democratic-policy-in-an-age-of-austerity/"


# The cursor of the Ideas & Debate page that holds the 40 oldest entries: what the
# next-to-last numbered page was before listings paged by cursor (essays.pagination).
DEEP_CURSOR = """
from essays.pagination import Position
from essays.views import ideas_sources
oldest = []
for kind, entries in ideas_sources().items():
    oldest += [Position.of(kind, e) for e in entries.order_by("published_at", "pk")[:41]]
print(sorted(oldest)[min(40, len(oldest) - 1)].token)
"""


# The author with the most published essays: more than a page of them at every size, so the
# page compared across sizes is the same page (the first author on Ideas & Debate had 15
# essays at 100 essays, and a full page and a link to the next at 100,000).
BUSIEST_AUTHOR = """
from django.db.models import Count
from essays.models import Author, Essay
published = Essay.objects.published()
busiest = (
    Author.objects.filter(essays__in=published)
    .annotate(essay_count=Count("essays"))
    .order_by("-essay_count", "slug")
    .first()
)
print(busiest.get_absolute_url())
"""


def shell_output(env, code):
    """Return the last line `code` prints, run in `manage.py shell` on the bench database."""
    command = [PY, "manage.py", "shell", "--no-imports", "-c", code]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return output.stdout.strip().splitlines()[-1]


def pages(base, env):
    """Return (name, url, script) for every page the benchmark loads."""
    with urllib.request.urlopen(f"{base}/ideas/") as response:  # noqa: S310
        ideas = response.read().decode()
    deep = shell_output(env, DEEP_CURSOR)
    essay = re.search(r'href="(/essays/[^"/]+/)"', ideas).group(1)
    author = shell_output(env, BUSIEST_AUTHOR)
    topic = re.search(r'href="\?topic=([^"&]+)"', ideas).group(1)
    return [
        ("home", f"{base}/", None),
        ("ideas", f"{base}/ideas/", None),
        ("ideas deep page", f"{base}/ideas/?before={deep}", None),
        ("series", f"{base}{DEMO_SERIES}", None),
        ("essay", f"{base}{essay}", None),
        ("author", f"{base}{author}", None),
        ("topic", f"{base}/topics/{topic}/", None),
        # Words every size's archive has more than a page of: the same page at every size.
        ("search", f"{base}/search/?q=mutual+ownership", None),
        ("atom feed", f"{base}/feeds/essays/", None),
        ("sitemap", f"{base}/sitemap-essays.xml", None),
        ("sign-up POST", f"{base}/", signup_script(base)),
    ]  # fmt: skip


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    reports = {essays: bench(essays) for essays in SIZES}
    if len(SIZES) > 1:
        report_scale(reports)


def bench(essays):
    """Benchmark every page with `essays` synthetic essays; print and save the table."""
    static_root = Path(tempfile.mkdtemp(prefix="thinktank-bench-static-"))
    env = site_env(static_root)
    print(f"Preparing {DATABASE_URL} with the demo content and {essays} synthetic essays")
    prepare_database(env, essays)
    servers = {
        "cached": start_gunicorn("thinktank.wsgi", free_port(), {**env, "PAGE_CACHE": "1"}),
        "uncached": start_gunicorn("thinktank.wsgi", free_port(), {**env, "PAGE_CACHE": "0"}),
        "ceiling": start_gunicorn("bench.ceiling", free_port(), env, probe="/"),
    }
    results = {}
    try:
        base = {mode: f"http://127.0.0.1:{server.port}" for mode, server in servers.items()}
        plan = pages(base["cached"], env)
        for _name, url, _script in plan:  # warm every server: no round measures start-up
            for mode in ("cached", "uncached"):
                urllib.request.urlopen(url.replace(base["cached"], base[mode]), timeout=30).read()  # noqa: S310
        for _name, floor in FLOORS:
            urllib.request.urlopen(base["ceiling"] + floor, timeout=30).read()  # noqa: S310
        for round_number in range(1, ROUNDS + 1):
            print(f"Round {round_number}/{ROUNDS}")
            for name, url, script in plan:
                # Interleaved: each run comes right after one of the ceiling, in the same
                # conditions, so a noisy neighbour shifts both.
                modes = ("cached",) if script else ("cached", "uncached")
                for mode in modes:
                    results.setdefault(("ceiling", mode), []).append(wrk(base["ceiling"] + "/"))
                    target = url.replace(base["cached"], base[mode])
                    results.setdefault((name, mode), []).append(wrk(target, script))
            for name, floor in FLOORS:
                results.setdefault(("ceiling", "floor"), []).append(wrk(base["ceiling"] + "/"))
                results.setdefault((name, "floor"), []).append(wrk(base["ceiling"] + floor))
        memory = {mode: worker_rss_mb(server) for mode, server in servers.items()}
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return report(essays, results, memory)


def summarise(runs, ceiling):
    rps = statistics.median(r["rps"] for r in runs)
    p50 = statistics.median(r["p50_ms"] for r in runs)
    p99 = statistics.median(r["p99_ms"] for r in runs)
    return {
        "rps": round(rps, 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "p99_over_p50": round(p99 / p50, 1) if p50 else None,
        "ratio": round(rps / ceiling, 3),
        "non_2xx": sum(r["non_2xx"] for r in runs),
    }


def report(essays, results, memory):
    ceiling_runs = [run for (name, _), runs in results.items() if name == "ceiling" for run in runs]
    ceiling = statistics.median(r["rps"] for r in ceiling_runs)
    rows = []
    for (name, mode), runs in results.items():
        if name != "ceiling":
            rows.append({"page": name, "mode": mode, **summarise(runs, ceiling)})
    rows.append({"page": "ceiling", "mode": "bare Django", **summarise(ceiling_runs, ceiling)})
    print(f"\n{essays} essays; ceiling {ceiling:.0f} req/s")
    print(
        f"{'page':<18}{'mode':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}"
        f"{'ratio':>8}{'non-2xx':>9}"
    )
    for row in rows:
        print(
            f"{row['page']:<18}{row['mode']:<10}{row['rps']:>9}{row['p50_ms']:>9}"
            f"{row['p99_ms']:>9}{row['p99_over_p50']!s:>9}{row['ratio']:>8}{row['non_2xx']:>9}"
        )
    print(f"\nWorker resident memory after the run (MB): {memory}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{essays}.json"
    figures = {
        "essays": essays,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "connections": CONNECTIONS,
        "workers": WORKERS,
        "ceiling_rps": round(ceiling, 1),
        "rows": rows,
        "worker_rss_mb": memory,
    }
    path.write_text(json.dumps(figures, indent=2))
    print(f"Wrote {path}")
    return figures


def report_scale(reports):
    """Print each page's throughput at the largest size as a share of it at the smallest.

    As measured, and relative to each size's own ceiling: the sizes are benchmarked minutes
    apart, and a shared machine's speed drifts in between (the ceiling's row shows by how
    much), so the second figure is the page's own share.
    """
    small, large = reports[min(reports)], reports[max(reports)]
    before = {(row["page"], row["mode"]): row for row in small["rows"]}
    print(f"\nThroughput at {large['essays']} essays / at {small['essays']} essays")
    print(f"{'page':<18}{'mode':<12}{'kept':>6}{'vs ceiling':>12}")
    rows = []
    for row in large["rows"]:
        key = (row["page"], row["mode"])
        if (old := before.get(key)) and old["rps"]:
            kept = row["rps"] / old["rps"]
            drift = large["ceiling_rps"] / small["ceiling_rps"]
            kept, relative = round(kept, 2), round(kept / drift, 2)
            rows.append({"page": key[0], "mode": key[1], "kept": kept, "vs_ceiling": relative})
            print(f"{key[0]:<18}{key[1]:<12}{kept:>6}{relative:>12}")
    out = ROOT / "var" / "bench" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-scale.json"
    out.write_text(json.dumps({"sizes": sorted(reports), "rows": rows}, indent=2))
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
