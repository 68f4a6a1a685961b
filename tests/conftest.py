"""Fixtures: every test that takes ``app`` runs on SQLite and on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL is set; with GRID_FORBID_SKIPS=1 (as in CI) any
skipped test fails the run instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import URL, Engine

import grid_app.models  # noqa: F401  (every table, for create_all)
from grid_app import create_app
from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, ColumnKind, GridColumn, ServiceArea

PASSWORD = "correct horse battery staple"
# scrypt still, with a lower cost so that signing in many times stays quick in tests.
TEST_HASH_METHOD = "scrypt:1024:8:1"


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Turn a skip into a failure when skipping is forbidden (CI)."""
    if os.environ.get("GRID_FORBID_SKIPS") != "1" or call.excinfo is None:
        return None
    if call.excinfo.errisinstance(pytest.skip.Exception):
        reason = str(call.excinfo.value)
        call.excinfo = None
        report = pytest.TestReport.from_item_and_call(item, call)
        report.outcome = "failed"
        report.longrepr = f"Skipping is forbidden here (GRID_FORBID_SKIPS=1): {reason}"
        return report
    return None


def _admin_engine(url: URL) -> Engine:
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url(worker_id: str, testrun_uid: str) -> Iterator[URL]:
    """A database of this test worker's own on the PostgreSQL server, with the schema.

    The name carries the run's id too, so that two test runs on one server never share one.
    """
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.skip("set TEST_DATABASE_URL to run the PostgreSQL tests")
    url = make_url(raw).set(
        drivername="postgresql+psycopg", database=f"grid_test_{testrun_uid[:8]}_{worker_id}"
    )
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine = create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the schema, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "grid.db"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "grid.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: URL = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(EMPTY_POSTGRES)
    engine.dispose()
    return url.render_as_string(hide_password=False)


# Empties every table and restarts every id at 1, as TRUNCATE … RESTART IDENTITY would, in a
# twentieth of the time (TRUNCATE replaces each table's files). The replica role lets the
# deletes past the history tables' triggers and skips foreign-key checks, in this
# transaction only.
EMPTY_POSTGRES = (
    "SET LOCAL session_replication_role = replica;\n"
    + "".join(f'DELETE FROM "{t.name}";\n' for t in reversed(db.metadata.sorted_tables))
    + "SELECT setval(c.oid, 1, false) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = current_schema();"
)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application on a fresh database. No app context is left pushed, so every
    request gets its own database session, as in production."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            # Tests send queued mail themselves, except the one that checks the background.
            "MAIL_SEND_AFTER_COMMIT": False,
            "BASE_URL": "https://grid.example.org",
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


@dataclass(frozen=True)
class Person:
    """A test person: what a test needs to sign in as them and recognise them."""

    id: int
    email: str
    name: str


@pytest.fixture
def people(app: Flask) -> dict[str, Person]:
    """A contributor, a manager, an admin, a facilitator and a reader with no role."""
    specs = {
        "contributor": ("Cara Contributor", [Role.CONTRIBUTOR]),
        "other": ("Olu Other", [Role.CONTRIBUTOR]),
        "manager": ("Mo Manager", [Role.CONTRIBUTOR, Role.MANAGER]),
        "admin": ("Ade Admin", [Role.CONTRIBUTOR, Role.ADMIN]),
        "facilitator": ("Fay Facilitator", [Role.FACILITATOR]),
        "reader": ("Rae Reader", []),
    }
    result = {}
    with app.app_context():
        for key, (name, roles) in specs.items():
            user = auth_service.create_user(
                OPERATOR, f"{key}@example.org", name, PASSWORD, roles=roles
            )
            result[key] = Person(user.id, user.email, name)
        db.session.commit()
    return result


@dataclass(frozen=True)
class GridRef:
    """The small test grid: its slug and its cells' ids by (service area, column)."""

    id: int
    slug: str
    cells: dict[tuple[str, str], int]


@pytest.fixture
def grid(app: Flask) -> GridRef:
    """A two-by-three grid: Social work and Youth Justice × Strategy, Evidence, Owner."""
    with app.app_context():
        created = grid_service.create_grid(
            OPERATOR,
            "Test grid",
            rows=["Social work", "Youth Justice"],
            columns=[
                ("Strategy", ColumnKind.TEXT),
                ("Evidence", ColumnKind.TEXT),
                ("Owner", ColumnKind.PEOPLE),
            ],
        )
        cells = {
            (c.row.name, c.column.name): c.id
            for c in db.session.scalars(
                db.select(Cell).join(ServiceArea).join(GridColumn).where(Cell.grid_id == created.id)
            )
        }
        ref = GridRef(created.id, created.slug, cells)
        db.session.commit()
    return ref


class Client(FlaskClient):
    """A test client that signs forms with a valid CSRF token, as the browser's page would."""

    def csrf_token(self) -> str:
        """The token a page rendered for this browser session would carry."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return str(serializer.dumps(raw))

    def post_form(self, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """POST a form with its CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **data}, **kwargs)

    def sign_in(self, person: Person, password: str = PASSWORD) -> Any:
        """Sign in through the real sign-in form."""
        response = self.post_form("/sign-in", {"email": person.email, "password": password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    """A browser with no one signed in."""
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def new_client(app: Flask):  # type: ignore[no-untyped-def]
    """Make further independent browsers (for two people at once)."""

    def make() -> Client:
        app.test_client_class = Client
        return app.test_client()  # type: ignore[return-value]

    return make


HX = {"HX-Request": "true"}


def version_of(app: Flask, cell_id: int) -> int:
    """The cell's current version, read fresh from the database."""
    with app.app_context():
        return db.session.get_one(Cell, cell_id).version


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Count the SQL statements run while a block runs: ``with count_queries() as seen:``."""
    from contextlib import contextmanager

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA)", statement, re.I):
                statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter


@dataclass
class SmtpServer:
    """A real SMTP server on 127.0.0.1, and every message it received."""

    port: int
    messages: list[EmailMessage]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages, once ``count`` have arrived (failing after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} mails arrived"
        return self.messages


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique_address() -> str:
    """A client address no other test uses, for limits counted in a Redis that outlives tests."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running aiosmtpd server collecting what it is sent."""
    from aiosmtpd.controller import Controller

    received: list[EmailMessage] = []

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
            received.append(parsed)  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Collect(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(controller.port, received)
    controller.stop()


def use_smtp(app: Flask, port: int) -> None:
    """Point the app at a local SMTP server (plain, as on a test machine)."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", MAIL_TIMEOUT=5)
