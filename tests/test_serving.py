"""`make run`'s gunicorn keeps sign-in limits instance-wide, and refuses a setup that would not."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent


def make_run_command(port: int) -> list[str]:
    """The gunicorn command line `make run` runs (read from the Makefile, not copied)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"VENV={VENV}", f"PORT={port}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("WORKERS", "THREADS")},
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in printed.splitlines() if "/gunicorn " in line]
    # Anything else on the line (another command before a ";") is not the server.
    (command,) = [part for part in line.split(";") if "/gunicorn " in part]
    return shlex.split(command)


def server_env(tmp_path: Path, sqlite_template: Path, **extra: str) -> dict[str, str]:
    """The environment of a server on a database of its own, with nothing from outside."""
    database = tmp_path / "grid.db"
    shutil.copy(sqlite_template, database)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "REDIS_URL"))}
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret",
        # urllib, unlike a browser, sends no Secure cookie to http://127.0.0.1.
        "SESSION_COOKIE_SECURE": "false",
        **extra,
    }


class Server:
    """A gunicorn started as a subprocess, and a browser for it."""

    def __init__(
        self, command: list[str], env: dict[str, str], port: int, capture: bool = False
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
            text=True,
        )
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.2)

    def serves_before_exiting(self) -> bool:
        """Whether the server answers before it stops by itself."""
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5):
                    return True
            except OSError:
                time.sleep(0.2)
        return self.process.poll() is None

    def workers(self) -> int:
        """How many processes the gunicorn master has forked."""
        count = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            count += int(fields[1]) == self.process.pid
        return count

    def sign_in(self, email: str, password: str) -> int:
        """Post the sign-in form as a browser would (with the page's CSRF token); the status."""
        with self.opener.open(f"{self.url}/sign-in", timeout=30) as page:
            html = page.read().decode()
        token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
        try:
            with self.opener.open(f"{self.url}/sign-in", form.encode(), timeout=30) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str], int], Server]]:
    """Start servers (stopped when the test ends)."""
    started: list[Server] = []

    def run(command: list[str], env: dict[str, str], port: int) -> Server:
        server = Server(command, env, port)
        started.append(server)
        server.wait_until_ready()
        return server

    yield run
    for server in started:
        server.stop()


def guesses(server: Server, email: str, count: int) -> list[int]:
    return [server.sign_in(email, "guess guess guess") for _ in range(count)]


def test_make_run_serves_one_process_so_the_eleventh_guess_is_refused(
    tmp_path, sqlite_template, start
):
    port = free_port()
    server = start(make_run_command(port), server_env(tmp_path, sqlite_template), port)
    # Not one process per request: every request is answered by the same process, by threads.
    assert server.workers() == 1
    assert guesses(server, "someone@example.org", 11) == [422] * 10 + [429]


def test_several_workers_sharing_redis_refuse_the_eleventh_guess_whichever_answers(
    tmp_path, sqlite_template, start
):
    port = free_port()
    command = make_run_command(port)
    command[command.index("--workers") + 1] = "3"
    env = server_env(
        tmp_path,
        sqlite_template,
        REDIS_URL="redis://127.0.0.1:6379/15",
        # Redis outlives the test: keys of this run's own.
        FLASK_RATELIMIT_KEY_PREFIX=f"serving-{uuid.uuid4().hex}",
    )
    server = start(command, env, port)
    assert server.workers() == 3
    assert guesses(server, "someone@example.org", 11) == [422] * 10 + [429]


def test_several_workers_without_redis_refuse_to_start(tmp_path, sqlite_template):
    port = free_port()
    command = make_run_command(port)
    command[command.index("--workers") + 1] = "2"
    server = Server(command, server_env(tmp_path, sqlite_template), port, capture=True)
    try:
        assert not server.serves_before_exiting(), "two workers without Redis started serving"
    finally:
        server.stop()
    assert server.process.returncode != 0
    assert server.process.stderr is not None
    with server.process.stderr:
        message = server.process.stderr.read()
    assert "2 workers without REDIS_URL" in message
    assert "--workers 1 --threads 8" in message


def _modules_loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    printed = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test-secret"},
    ).stdout
    return {name.split(".")[0] for name in printed.split()}


def test_the_served_app_leaves_out_migrations_spreadsheets_and_word() -> None:
    served = _modules_loaded("from grid_app import create_app; create_app(serving=True)")
    assert "flask" in served and "sqlalchemy" in served
    # Nor the spreadsheet and Word libraries, loaded by the first export or import instead.
    assert {"alembic", "flask_migrate", "openpyxl", "docx"} & served == set()
    # Nor the authenticator libraries, loaded when someone first sets one up or types a code
    # (cryptography is not among them: the single sign-on client, Authlib, imports it).
    assert {"pyotp", "segno"} & served == set()
    # The command line still has `flask db …`.
    assert "flask_migrate" in _modules_loaded("from grid_app import create_app; create_app()")


def test_gunicorn_s_master_loads_no_flask_or_sqlalchemy() -> None:
    # What the master runs: its config file, which imports the access logger, and the worker
    # class it names.
    master = _modules_loaded(
        "import importlib, runpy; settings = runpy.run_path('gunicorn.conf.py'); "
        "importlib.import_module(settings['worker_class'].rsplit('.', 1)[0])"
    )
    assert "gunicorn" in master and "grid_app" in master
    assert {"flask", "sqlalchemy", "jinja2", "werkzeug"} & master == set()


def test_make_run_seals_waiting_contributions_without_a_process_of_its_own(
    tmp_path, sqlite_template, start
):
    from grid_app import create_app
    from grid_app.auth import service as auth_service
    from grid_app.auth.models import OPERATOR, Role
    from grid_app.extensions import db
    from grid_app.safe_space import service
    from grid_app.safe_space.models import Contribution, WaitingContribution
    from tests.conftest import TEST_HASH_METHOD

    port = free_port()
    command = make_run_command(port)
    assert "SEAL_EVERY_SECONDS=60" in command  # every minute, unless told otherwise
    command[command.index("SEAL_EVERY_SECONDS=60")] = "SEAL_EVERY_SECONDS=1"
    env = server_env(tmp_path, sqlite_template, SEAL_AFTER_MINUTES="0")
    server = start(command, env, port)
    assert server.workers() == 1

    app = create_app(
        {
            "DATABASE_URL": env["DATABASE_URL"],
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with app.app_context():
        facilitator = auth_service.create_user(
            OPERATOR, "fay@example.org", "Fay", "long enough pass phrase", [Role.FACILITATOR]
        )
        person = auth_service.create_user(
            OPERATOR, "cara@example.org", "Cara", "long enough pass phrase", [Role.CONTRIBUTOR]
        )
        meeting = service.create_meeting(
            facilitator,
            service.SessionFields(
                title="Listening session",
                starts_at="2027-01-14T10:00",
                ground_rules=service.DEFAULT_GROUND_RULES,
                signposting=service.DEFAULT_SIGNPOSTING,
                invitees="cara@example.org",
            ),
        )
        service.accept_rules(person, meeting)
        service.add_contribution(person, meeting, body="Said once, sealed soon", anonymous=True)
        db.session.commit()

        def counts() -> tuple[int, int]:
            db.session.remove()
            return (
                db.session.query(WaitingContribution).count(),
                db.session.query(Contribution).count(),
            )

        deadline = time.monotonic() + 60
        while counts() != (0, 1) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert counts() == (0, 1), "the served app did not seal the waiting contribution"
        db.engine.dispose()
    # The server is still the one process it was: no sealer process beside it.
    assert server.process.poll() is None and server.workers() == 1


def test_connections_that_send_nothing_do_not_stall_a_request(tmp_path, sqlite_template, start):
    port = free_port()
    server = start(make_run_command(port), server_env(tmp_path, sqlite_template), port)
    # Three times as many silent connections as make run has threads, as a browser's spare
    # connections (or a slow network) leave them.
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(24)]
    try:
        # Were each of them to hold a thread, gunicorn would free the threads five seconds a
        # batch, and the answer would come after some fifteen seconds, long after this gives up.
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=4) as answer:
            assert answer.status == 200
    finally:
        for connection in idle:
            connection.close()
