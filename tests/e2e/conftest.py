"""Browser journeys: Playwright drives Debian's Chromium against a live server.

Without a Chromium these tests are skipped with a clear reason; with GRID_REQUIRE_BROWSER=1
(as in CI) a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from werkzeug.serving import make_server

from grid_app import create_app
from tests.conftest import TEST_HASH_METHOD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
ARTEFACTS = HERE / "artefacts"
DEMO_PASSWORD = "e2e-demo-password"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_report_header(config: pytest.Config) -> str:
    if CHROMIUM:
        return f"browser tests: Chromium at {CHROMIUM}"
    return "browser tests: SKIPPED, no Chromium found (apt-get install chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # The browser may drop a connection mid-request (a favicon when a page moves on);
            # the live server's thread then leaves a socket for the collector, which is the
            # server's business, not the journey's.
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )
            if not CHROMIUM:
                reason = "no Chromium found; install it with apt-get install chromium"
                if os.environ.get("GRID_REQUIRE_BROWSER") == "1":
                    item.add_marker(pytest.mark.usefixtures("_browser_required"))
                else:
                    item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _browser_required() -> None:
    pytest.fail("GRID_REQUIRE_BROWSER=1 but no Chromium was found")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Each test has its own live server, so there is no fixed base URL."""
    return None


@dataclass
class LiveServer:
    """A running app: its address and the app object (for checking the database)."""

    url: str
    app: Any


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The real app with the demo data, served on a free port with its own database."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "e2e-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "DEMO_PASSWORD": DEMO_PASSWORD,
        }
    )
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    from grid_app.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Every console error and CSP violation on the page; a journey ends with none."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield errors


def sign_in(page: Page, server: LiveServer, email: str = "contributor@example.org") -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/grids/**")


def new_signed_in_page(browser: Browser, server: LiveServer, email: str, **options: Any) -> Page:
    """Another person's browser, signed in."""
    context: BrowserContext = browser.new_context(
        viewport={"width": 1280, "height": 900}, **options
    )
    page = context.new_page()
    sign_in(page, server, email)
    return page


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core for WCAG 2.0/2.1/2.2 A and AA on the page as it stands."""
    # After a click that loads a new page, its heading can be found before its stylesheets
    # have arrived; scanning then would judge unstyled links (too small, too close).
    page.wait_for_load_state("load")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return list(result["violations"])


def assert_accessible(page: Page, label: str) -> None:
    """Fail with every violation and its elements listed, if axe finds any."""
    violations = axe_violations(page)
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {label}:"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
        pytest.fail("\n".join(lines))


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot, and one of what fits the window, in the artefacts
    folder (ignored by git)."""
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}-window.png"))


def save_as(server: LiveServer, email: str, cell_id: int, text: str) -> None:
    """Someone else saves a cell, through the service, while the browser is on the page."""
    from grid_app.auth.models import User
    from grid_app.extensions import db
    from grid_app.grid import service
    from grid_app.grid.models import Cell

    with server.app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == email))
        cell = db.session.get_one(Cell, cell_id)
        service.save_cell(actor, cell, expected_version=cell.version, text=text)
        db.session.commit()


def cell_id(server: LiveServer, area: str, column: str) -> int:
    """The id of the cell at ``area`` × ``column`` in the demo grid."""
    from grid_app.extensions import db
    from grid_app.grid.models import Cell, GridColumn, ServiceArea

    with server.app.app_context():
        found = db.session.scalar(
            db.select(Cell.id)
            .join(ServiceArea)
            .join(GridColumn)
            .where(ServiceArea.name == area, GridColumn.name == column)
        )
    assert found is not None, (area, column)
    return found
