"""An admin reads the audit log in a real browser, starting from the site navigation."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_in

ADMIN = "admin@example.org"
TOM = "tom.hughes@example.org"
SIGN_INS = 65


def open_audit_log(page: Page, server: LiveServer) -> None:
    """The audit log, reached from the site navigation."""
    sign_in(page, server, ADMIN)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")


def open_audit_log_with_error(page: Page, server: LiveServer) -> None:
    """The "to" date is before the "from" date: the message sits beside the field."""
    open_audit_log(page, server)
    page.get_by_label("From").fill("2026-05-02")
    page.get_by_label("To").fill("2026-05-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-to-error")).to_contain_text("same as or after")


def open_audit_log_empty(page: Page, server: LiveServer) -> None:
    """A filter that matches nothing."""
    open_audit_log(page, server)
    page.get_by_label("Action", exact=True).select_option(label="Session deleted after retention")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No events match.")).to_be_visible()


def _sign_ins(server: LiveServer, email: str, count: int) -> None:
    """``count`` sign-ins by the person, a minute apart, in the past."""
    from grid_app.audit import service as audit
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == email))
        assert person is not None
        start = datetime(2026, 11, 2, 9, 0)
        for number in range(count):
            event = audit.record(person, "auth.signed_in", "user", person.id)
            event.created_at = start + timedelta(minutes=number)
        db.session.commit()


def test_admin_filters_the_log_pages_back_and_downloads_it(
    page: Page, live_server, console_errors, tmp_path: Path
):
    _sign_ins(live_server, TOM, SIGN_INS)
    open_audit_log(page, live_server)
    log = page.locator("#audit-log")
    expect(log.get_by_role("row").nth(1)).to_contain_text("Ada Admin viewed the audit log")

    page.get_by_label("Person", exact=True).select_option(label="Tom Hughes")
    page.get_by_label("Action", exact=True).select_option(label="Signed in")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"person=\d+.*action=auth\.signed_in"))
    rows = log.locator("tbody tr")
    expect(rows).to_have_count(50)
    for text in rows.all_inner_texts():
        assert "Tom Hughes signed in" in text

    page.get_by_role("link", name="Older").click()
    expect(page).to_have_url(re.compile(r"before="))
    expect(rows).to_have_count(SIGN_INS - 50)
    expect(rows.first).to_contain_text("Tom Hughes signed in")
    expect(rows.last).to_contain_text("2 Nov 2026, 09:00")
    expect(page.get_by_role("link", name="Older")).to_have_count(0)
    expect(page.get_by_label("Person", exact=True)).to_have_value(re.compile(r"\d+"))

    page.get_by_role("link", name="Newer").click()
    expect(rows).to_have_count(50)
    expect(page.get_by_role("link", name="Newer")).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download these events (CSV)").click()
    download = info.value
    assert re.fullmatch(r"audit-log-\d{4}-\d{2}-\d{2}-\d{4}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    table = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert len(table) == SIGN_INS
    assert {row["Action"] for row in table} == {"auth.signed_in"}
    assert {row["Who"] for row in table} == {"Tom Hughes"}

    # Each read was recorded: the latest first, then the download with its filters.
    page.get_by_role("link", name="Clear filters").click()
    expect(rows.nth(0)).to_contain_text("Ada Admin viewed the audit log")
    expect(rows.nth(1)).to_contain_text(
        "Ada Admin downloaded the audit log as CSV, filtered by person Tom Hughes, "
        "action “Signed in”"
    )
    assert console_errors == []
