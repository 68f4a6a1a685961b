"""Take the README's screenshots again, from the demo data, with Debian's Chromium.

    .venv/bin/python docs/screenshots.py                # every picture into docs/screenshots/
    .venv/bin/python docs/screenshots.py --only dashboard --out /tmp/shots

The app runs in this process on a free port with a throw-away SQLite database, so nothing of a
real database is touched. Needs the dev extras (`make dev`) and `chromium` on the PATH.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grid_app import create_app, demo  # noqa: E402

PASSWORD = "screenshots-demo"
AREA = "Safe spaces for staff"
EVIDENCE = f"Evidence for {AREA}"
# Another empty cell, for pictures taken after the conflict has filled the first.
GAPS = "Gaps for Social work"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Shooter:
    """A live demo app and a browser that signs people in and saves pictures."""

    def __init__(self, browser: Browser, url: str, app: object, out: Path) -> None:
        self.browser = browser
        self.url = url
        self.app = app
        self.out = out

    def page(self, email: str, width: int = 1280, height: int = 900) -> Page:
        """A new browser window of the given size, signed in as ``email``."""
        context = self.browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{self.url}/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.url}/grids/**")
        return page

    def save(self, page: Page, name: str, full_page: bool = False) -> None:
        page.wait_for_load_state("load")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        print(f"saved {path}")


def grid(s: Shooter) -> None:
    page = s.page("contributor@example.org")
    s.save(page, "grid")


def conflict(s: Shooter) -> None:
    first = s.page("contributor@example.org")
    second = s.page("manager@example.org")
    for p in (first, second):
        p.get_by_role("link", name=f"Add {EVIDENCE}").click()
    first.get_by_role("textbox", name=EVIDENCE).fill("Curriculum piloted in two hubs.")
    first.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(first.get_by_text("Saved", exact=True)).to_be_visible()
    second.get_by_role("textbox", name=EVIDENCE).fill("Youth workers trained.")
    second.get_by_role("button", name=f"Save {EVIDENCE}").click()
    conflict = second.locator(".app-cell--conflict")
    expect(conflict).to_be_visible()
    conflict.scroll_into_view_if_needed()
    s.save(second, "conflict")


def edit_phone(s: Shooter) -> None:
    page = s.page("contributor@example.org", width=375, height=740)
    page.get_by_role("link", name=f"Add {GAPS}").click()
    box = page.get_by_role("textbox", name=GAPS)
    box.fill("Youth workers trained in anti-racist practice.")
    box.scroll_into_view_if_needed()
    s.save(page, "edit-phone")


def dashboard(s: Shooter) -> None:
    page = s.page("manager@example.org")
    page.get_by_role("link", name="Dashboard").first.click()
    s.save(page, "dashboard", full_page=True)


def flag(s: Shooter) -> None:
    page = s.page("manager@example.org")
    page.get_by_role("link", name="Gap flags", exact=True).first.click()
    page.get_by_role("link", name=re.compile("No local figures")).first.click()
    s.save(page, "flag", full_page=True)


def mention(s: Shooter) -> None:
    page = s.page("contributor@example.org")
    # The cell's address, from its Add link (/cells/<id>/edit): its discussion is beside it.
    edit = page.get_by_role("link", name=f"Add {GAPS}").get_attribute("href") or ""
    page.goto(f"{s.url}{edit.removesuffix('/edit')}/comments")
    box = page.get_by_label("Start a thread")
    box.press_sequentially("Could @m")
    expect(page.get_by_role("button", name=re.compile("^Morgan Manager"))).to_be_visible()
    s.save(page, "mention")


def safe_space(s: Shooter) -> None:
    page = s.page("facilitator@example.org")
    page.get_by_role("link", name="Safe-space sessions").first.click()
    page.get_by_role("link", name=demo.SESSION_TITLE).click()
    s.save(page, "safe-space")


SHOTS: dict[str, Callable[[Shooter], None]] = {
    "grid": grid,
    "conflict": conflict,
    "edit-phone": edit_phone,
    "dashboard": dashboard,
    "flag": flag,
    "mention": mention,
    "safe-space": safe_space,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", action="append", choices=sorted(SHOTS))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/screenshots.db",
                "SECRET_KEY": "screenshots",
                "INSTANCE_PATH": f"{tmp}/instance",
                "DEMO_PASSWORD": PASSWORD,
                "RATELIMIT_ENABLED": False,
            }
        )
        for command in (["db", "upgrade"], ["seed-demo"]):
            result = app.test_cli_runner().invoke(args=command)
            if result.exit_code:
                print(result.output, file=sys.stderr)
                return 1
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                shooter = Shooter(browser, f"http://127.0.0.1:{server.server_port}", app, args.out)
                for name in args.only or SHOTS:
                    SHOTS[name](shooter)
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
