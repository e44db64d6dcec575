"""Production configuration: the deploy check is clean, and the app refuses to start unconfigured.

Each test starts the project in a subprocess with an environment built from scratch, as an
operator would configure it: debug off, a real secret key, PostgreSQL, HTTPS (the default
when debug is off). The helpers here (`production_env`, `run_manage`, `collect_static`,
`running_gunicorn`) are shared with the other subprocess tests in this folder.
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

# The servers started here use the test database: the mark makes pytest-django create it.
pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 60  # seconds; a manage.py command that takes longer has hung
COLLECTSTATIC_TIMEOUT = 300  # Brotli-compressing the admin's files is slow on a busy machine
SERVER_START_TIMEOUT = 30
GUNICORN_GIVE_UP = 10  # seconds for gunicorn to give up on an app that refuses to start
# Every variable settings.py reads: the subprocess gets none of the test run's values.
_SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_CONNECT_TIMEOUT",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "CACHE_URL",
    "TASKS_BACKEND",
    "SITE_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
}
_SETTINGS_PREFIXES = ("DJANGO_", "AXES_", "LOG_", "NEWSLETTER_")


def production_env(database_url, **overrides):
    """Return the environment of a production process: debug off, HTTPS on, a real key.

    `overrides` set variables; an override of None removes the variable.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _SETTINGS_VARIABLES and not name.startswith(_SETTINGS_PREFIXES)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="thinktank.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # 67 random characters
        DATABASE_URL=database_url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        EMAIL_URL="smtp://localhost:25",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def database_url(name=None):
    """Return a postgres:// URL for the test run's database server (its test database)."""
    db = connections["default"].settings_dict  # after test-database setup: its name
    assert db["ENGINE"] == "django.db.backends.postgresql", "these tests need PostgreSQL"
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(name or db['NAME'], safe='')}"


def run_manage(*args, env, timeout=COMMAND_TIMEOUT):
    """Run `manage.py <args>` with the venv's Python; return the CompletedProcess."""
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def collect_static(tmp_path_factory, database_url):
    """Run `collectstatic` with production settings, once a test session; return STATIC_ROOT.

    Compressing every file (gzip, and Brotli when installed) takes a while, so the modules
    that need collected files share one run, in the session's temporary folder.
    """
    static_root = tmp_path_factory.getbasetemp() / "collected-static"
    if not (static_root / "staticfiles.json").exists():
        result = run_manage(
            "collectstatic",
            "--noinput",
            env=production_env(database_url, STATIC_ROOT=str(static_root)),
            timeout=COLLECTSTATIC_TIMEOUT,
        )
        assert result.returncode == 0, result.stderr
    return static_root


def reserved_closed_port():
    """Return a bound, never-listening socket: connecting to its port is refused at once.

    Holding the socket keeps any other process from taking the port during the test.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


class Server:
    """A gunicorn started by `running_gunicorn`: its URL, and its output so far."""

    def __init__(self, process, port, stdout_path, stderr_path):
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def get(self, path, headers=None, timeout=10):
        """GET `path`; return (status, headers, body) for any status, never raising for 4xx/5xx."""
        url = self.url + path  # always http://127.0.0.1:<port>/...
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read()


def gunicorn_argv(listener):
    """Return the command serving `thinktank.wsgi` on an already-bound loopback socket."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "thinktank.wsgi",
        "--bind",
        f"fd://{listener.fileno()}",
    ]


@contextlib.contextmanager
def running_gunicorn(env, tmp_path, ready_path="/healthz"):
    """Serve `thinktank.wsgi` with gunicorn on a free loopback port, as the README deploys it.

    The listening socket is made here and handed to gunicorn (`fd://`), so no other process
    can take the port between choosing and binding it. Waits (bounded) until `ready_path`
    answers with any HTTP status; stops the server and its workers afterwards.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    stdout_path, stderr_path = tmp_path / "gunicorn.out", tmp_path / "gunicorn.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [
                *gunicorn_argv(listener),
                "--workers",
                "1",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(listener.fileno(),),
            start_new_session=True,  # its own process group: the workers stop with it
        )
    listener.close()
    server = Server(process, port, stdout_path, stderr_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            assert process.poll() is None, f"gunicorn exited early:\n{server.stderr()}"
            try:
                server.get(ready_path, headers={"X-Forwarded-Proto": "https"}, timeout=5)
                break
            except (OSError, urllib.error.URLError):
                assert time.monotonic() < deadline, f"gunicorn did not answer:\n{server.stderr()}"
                time.sleep(0.1)
        yield server
    finally:
        stop_process_group(process)


def stop_process_group(process, timeout=10):
    """Stop a server started with start_new_session=True, and everything it started."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGQUIT)  # gunicorn: quick shutdown, workers included
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


# The tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def any_database_url(django_db_setup):
    """The test database: commands that never write to it may still open it."""
    return database_url()


def test_deploy_check_is_clean_with_production_settings(any_database_url):
    env = production_env(any_database_url)
    assert "DJANGO_DEBUG" not in env
    assert "DJANGO_HTTPS" not in env

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def assert_refuses_with_one_line(result, variable):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["check"], ["migrate", "--no-input"]])
def test_without_a_secret_key_it_refuses_to_start_with_one_line(command, any_database_url):
    env = production_env(any_database_url, DJANGO_SECRET_KEY=None)

    result = run_manage(*command, env=env)

    assert_refuses_with_one_line(result, "DJANGO_SECRET_KEY")


@pytest.mark.parametrize("command", [["check"], ["migrate", "--no-input"]])
def test_without_a_database_url_it_refuses_to_start_with_one_line(command, any_database_url):
    env = production_env(any_database_url, DATABASE_URL=None)

    result = run_manage(*command, env=env)

    assert_refuses_with_one_line(result, "DATABASE_URL")


def test_an_empty_secret_key_counts_as_missing(any_database_url):
    result = run_manage("check", env=production_env(any_database_url, DJANGO_SECRET_KEY=""))

    assert_refuses_with_one_line(result, "DJANGO_SECRET_KEY")


def test_gunicorn_without_a_secret_key_stops_instead_of_restarting_workers(
    any_database_url, tmp_path
):
    """The README's production command must stop too, not respawn failing workers forever."""
    env = production_env(any_database_url, DJANGO_SECRET_KEY=None)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stderr_path = tmp_path / "gunicorn.err"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [*gunicorn_argv(listener), "--no-control-socket"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            pass_fds=(listener.fileno(),),
            start_new_session=True,
        )
    listener.close()
    try:
        try:
            returncode = process.wait(timeout=GUNICORN_GIVE_UP)
        except subprocess.TimeoutExpired:
            returncode = None
    finally:
        stop_process_group(process)
    output = stderr_path.read_text(errors="replace")
    explanation = [line for line in output.splitlines() if "Thinktank will not start" in line]

    assert returncode is not None, (
        "gunicorn kept restarting workers that refuse to start; "
        f"{len(explanation)} explanations printed in {GUNICORN_GIVE_UP} s"
    )
    assert returncode != 0
    assert explanation
    assert "DJANGO_SECRET_KEY" in explanation[0]
    assert "Traceback" not in output
