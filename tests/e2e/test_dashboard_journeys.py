"""The manager's dashboard in a real browser: find a stale cell, narrow the lists, review it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_in

MANAGER = "manager@example.org"
# In the demo data, Youth Justice's strategy was written 300 days ago: stale.
STALE = "Strategy for Youth Justice"


def state_of(cell: str, state: str) -> re.Pattern[str]:
    """A heatmap link's accessible name: the state word, then which cell it is."""
    return re.compile(rf"^{state}\s*: {cell}$")


def open_dashboard(page: Page, server: LiveServer) -> None:
    sign_in(page, server, MANAGER)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def open_report(page: Page, server: LiveServer) -> None:
    open_dashboard(page, server)
    page.get_by_role("link", name="Printable report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coverage report")


def open_dashboard_with_error(page: Page, server: LiveServer) -> None:
    open_dashboard(page, server)
    page.get_by_label("Review period (days)").fill("forever")
    page.get_by_role("button", name="Set review period").click()
    expect(page.get_by_text("Enter a whole number of days from 1 to 3,650")).to_be_visible()


def test_manager_filters_the_lists_and_marks_a_stale_cell_reviewed(
    page: Page, live_server, console_errors
):
    open_dashboard(page, live_server)
    heatmap = page.get_by_role("table", name="Coverage of every cell")
    expect(heatmap).to_be_visible()
    # Every state of the key is on the demo grid, in words.
    for state in ("Flagged", "Empty", "Stale", "Filled"):
        expect(heatmap.get_by_role("link", name=state).first).to_be_visible()
    expect(heatmap.get_by_role("link", name=state_of(STALE, "Stale"))).to_be_visible()

    page.get_by_label("Service area", exact=True).select_option(label="Youth Justice")
    page.get_by_role("button", name="Filter the lists").click()
    stale_list = page.get_by_role("region", name=re.compile("stale cells"))
    expect(stale_list.get_by_role("link", name=STALE, exact=True)).to_be_visible()
    expect(stale_list.get_by_role("link", name=re.compile("Social work"))).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/dashboard\?row=\d+"))

    page.get_by_role("button", name=f"Mark reviewed {STALE}").click()
    expect(page.get_by_text("Marked strategy for Youth Justice as reviewed.")).to_be_visible()
    expect(heatmap.get_by_role("link", name=state_of(STALE, "Filled"))).to_be_visible()
    expect(page.get_by_role("button", name=f"Mark reviewed {STALE}")).to_have_count(0)
    assert console_errors == []


def after_content(page: Page, selector: str) -> str:
    """What CSS adds after the first element ``selector`` finds (as print would lay it out)."""
    return page.locator(selector).first.evaluate(
        "el => getComputedStyle(el, '::after').getPropertyValue('content')"
    )


def test_the_printed_report_and_grid_show_dates_and_no_link_paths(page: Page, live_server):
    open_report(page, live_server)
    page.emulate_media(media="print")
    assert after_content(page, ".app-heat__link") in ("none", "normal")

    page.emulate_media(media="screen")
    page.goto(live_server.url)
    when = page.locator("main time").first
    expect(when).to_contain_text(re.compile(r"ago|just now"), use_inner_text=True)
    page.emulate_media(media="print")
    dated = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")
    expect(when).to_have_text(dated, use_inner_text=True)
