"""A manager asks for wrongly written words to be redacted; an admin approves; the grid
shows the notice. In real browsers, starting from the grid and the header."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, new_signed_in_page, sign_in
from tests.e2e.test_history_journeys import edit_in_place

AREA = "Early Help, Early Years and Youth Work"
EVIDENCE = f"Evidence for {AREA}"
SECRET = "Ring Jo Bloggs at home on 07700 900123."
REASON = "A private phone number"


def open_ask(page: Page, server: LiveServer) -> None:
    """A manager writes what should never have been written, then asks to redact it from
    the cell's history."""
    sign_in(page, server, "manager@example.org")
    edit_in_place(page, EVIDENCE, SECRET)
    page.get_by_role("link", name="Activity", exact=True).click()
    page.get_by_role("link", name=f"evidence for {AREA}").first.click()
    page.get_by_role("link", name=f"History of evidence for {AREA}").click()
    page.get_by_role("link", name="Redact revision 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask to redact revision 1")


def open_ask_with_error(page: Page, server: LiveServer) -> None:
    """Asking without a reason is refused beside the field."""
    open_ask(page, server)
    page.get_by_role("button", name="Ask to redact").click()
    expect(page.get_by_role("heading", name="Nothing was asked for")).to_be_visible()


def open_requested(page: Page, server: LiveServer) -> None:
    """The Redactions page with a request waiting, as the manager who asked sees it."""
    open_ask(page, server)
    page.get_by_label("Why should it be redacted?").fill(REASON)
    page.get_by_role("button", name="Ask to redact").click()
    expect(page.get_by_text("Your request to redact has been sent")).to_be_visible()
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Redactions").click()
    expect(page.get_by_role("main")).to_contain_text(REASON)


def open_pending_for_admin(page: Page, server: LiveServer) -> None:
    """The admin's Redactions page with a request to approve or decline."""
    other = page.context.browser.new_page()  # type: ignore[union-attr]
    open_requested(other, server)
    other.close()
    sign_in(page, server, "admin@example.org")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Redactions").click()
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_be_visible()


def test_a_manager_asks_and_an_admin_approves_a_redaction(
    page: Page, browser: Browser, live_server, console_errors
):
    open_requested(page, live_server)
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    admin = new_signed_in_page(browser, live_server, "admin@example.org")
    admin.get_by_role("navigation", name="Site").get_by_role("link", name="Redactions").click()
    admin.get_by_role("button", name=re.compile("^Approve")).click()
    expect(admin.get_by_text("The words have been redacted.")).to_be_visible()
    expect(admin.get_by_role("main")).to_contain_text("Approved")

    page.get_by_role("link", name="Supporting People Grid").click()
    cell = page.locator(".app-grid").get_by_text(re.compile(rf"Redacted on .*: {REASON}"))
    expect(cell).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("07700")
    assert console_errors == []
