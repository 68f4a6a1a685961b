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


def luminance(page: Page, selector: str) -> float:
    """The relative luminance (WCAG) of the first matching element's background colour."""
    return float(
        page.eval_on_selector(
            selector,
            """element => {
                const [r, g, b] = getComputedStyle(element).backgroundColor
                    .match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number)
                    .map(c => c / 255)
                    .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            }""",
        )
    )


def test_empty_cells_stand_out_and_the_settings_sit_after_the_heatmap(page: Page, live_server):
    open_dashboard(page, live_server)
    heatmap = page.get_by_role("table", name="Coverage of every cell")
    empty = heatmap.get_by_role(
        "link", name=state_of("Evidence for Safe spaces for staff", "Empty")
    )
    expect(empty).to_be_visible()
    # Said in words and shown in capitals, not by colour alone.
    expect(empty).to_have_css("text-transform", "uppercase")
    # The darkest state on a white page: nothing else in the heatmap is as far from white.
    dark = luminance(page, ".app-heat--empty")
    assert dark < 0.05 < 0.7 < luminance(page, ".app-heat--filled")
    # Stale and flagged are pale patterns over the white page, no solid colour of their own.
    for other in ("stale", "flagged"):
        cell = page.locator(f".app-heat--{other}").first
        assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    # The review period is a setting: below the heatmap and its lists, under its own heading.
    settings = page.get_by_role("heading", name="Settings")
    period = page.get_by_label("Review period (days)")
    heatmap_box, period_box = heatmap.bounding_box(), period.bounding_box()
    assert heatmap_box and period_box and period_box["y"] > heatmap_box["y"] + heatmap_box["height"]
    expect(settings).to_be_visible()
    legend = page.locator(".app-heat-legend li").first
    expect(legend).to_contain_text("Empty")


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
