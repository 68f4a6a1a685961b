"""Searching from the header: suggestions as one types, the results page, and landing on the
place a result names; with and without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, cell_id, new_signed_in_page, save_as, sign_in
from tests.e2e.test_discussion_journeys import CELL as DISCUSSED_CELL
from tests.e2e.test_discussion_journeys import comment_as

CELL_TEXT = "A zebra-crossing pilot: reverse mentoring pairs for black staff."
COMMENT_TEXT = "Could the zebra pilot reach the youth offending team?"


def plant(server: LiveServer) -> tuple[int, int]:
    """A cell and a comment holding words to search for."""
    cell = cell_id(server, "Safe spaces for staff", "Strategy")
    save_as(server, "manager@example.org", cell, CELL_TEXT)
    return cell, comment_as(server, "tom.hughes@example.org", COMMENT_TEXT)


def test_search_from_the_header_and_land_on_the_cell(page: Page, live_server, console_errors):
    cell, _comment = plant(live_server)
    sign_in(page, live_server)
    # "/" anywhere on the page (but in a text box) goes to the search box.
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search the grid")
    expect(box).to_be_focused()
    box.press_sequentially("mentorin")
    suggestions = page.locator("#app-search-suggestions")
    expect(suggestions.get_by_role("status")).to_contain_text("match")
    first = suggestions.get_by_role("link", name=re.compile("Strategy for Safe spaces for staff"))
    expect(first).to_be_visible()
    expect(first.locator("mark")).to_have_text("mentoring")
    # The arrows move through the matches; Escape puts them away and goes back to the box.
    box.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("Escape")
    expect(box).to_be_focused()
    expect(suggestions).to_be_hidden()
    box.press_sequentially("g")
    expect(suggestions.get_by_role("link").first).to_be_visible()
    box.press("Enter")
    expect(page.get_by_role("heading", name="Search results for “mentoring”")).to_be_visible()
    result = page.get_by_role("link", name="Strategy for Safe spaces for staff")
    result.click()
    page.wait_for_url(re.compile(rf"/grids/[^?]+\?open=\d+#cell-{cell}$"))
    target = page.locator(f"#cell-{cell}")
    expect(target).to_contain_text("reverse mentoring pairs")
    assert target.evaluate("el => el.matches(':target')")
    assert console_errors == []


def test_a_comment_found_by_search_opens_at_that_comment(page: Page, live_server):
    _cell, comment = plant(live_server)
    sign_in(page, live_server)
    box = page.get_by_role("searchbox", name="Search the grid")
    box.fill("offending")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Discussion of evidence for Safe spaces for staff")).to_be_visible()
    expect(page.locator(".app-result__excerpt mark")).to_have_text("offending")
    page.get_by_role("link", name="Discussion of evidence for Safe spaces for staff").click()
    page.wait_for_url(f"{live_server.url}/cells/{DISCUSSED_CELL}/comments#comment-{comment}")
    found = page.locator(f"#comment-{comment}")
    expect(found).to_contain_text("youth offending team")
    assert found.evaluate("el => el.matches(':target')")


def test_searching_works_without_javascript(browser: Browser, live_server):
    cell, _comment = plant(live_server)
    page = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    page.get_by_role("searchbox", name="Search the grid").fill("zebra")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Search results for “zebra”")).to_be_visible()
    expect(page.locator(".app-result")).to_have_count(2)
    # Narrowing to comments through the filters, then going back to everything.
    page.get_by_text("Filters").click()
    page.get_by_label("Kind").select_option(label="Comments")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.locator(".app-result")).to_have_count(1)
    page.get_by_label("Kind").select_option(label="Anything")
    page.get_by_label("Sort by").select_option(label="Newest first")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.locator(".app-result")).to_have_count(2)
    expect(page.locator(".app-result h2").first).to_contain_text("Discussion")
    page.get_by_role("link", name="Strategy for Safe spaces for staff").click()
    assert page.url.endswith(f"#cell-{cell}")
    expect(page.locator(f"#cell-{cell}")).to_contain_text("zebra-crossing")


# --- Pages for the accessibility scan (tests/e2e/test_accessibility.py) ------------------


def open_results(page: Page, server: LiveServer) -> None:
    plant(server)
    sign_in(page, server)
    page.get_by_role("searchbox", name="Search the grid").fill("zebra")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".app-result")).to_have_count(2)


def open_results_as_admin(page: Page, server: LiveServer) -> None:
    plant(server)
    sign_in(page, server, "admin@example.org")
    page.get_by_role("searchbox", name="Search the grid").fill("zebra")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".app-result")).to_have_count(2)


def open_results_with_errors(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.get_by_role("searchbox", name="Search the grid").fill("-zebra")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Type at least one word to look for.")).to_be_visible()


def open_no_results(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/search?q=zeppelin&kind=comment")
    expect(page.get_by_role("heading", name="No results")).to_be_visible()


def open_suggestions(page: Page, server: LiveServer) -> None:
    plant(server)
    sign_in(page, server)
    page.get_by_role("searchbox", name="Search the grid").press_sequentially("zebr")
    expect(page.locator("#app-search-suggestions").get_by_role("link").first).to_be_visible()
