"""Finding a cell's page, reading long cells and using the grid on a phone, in a browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from grid_app.auth.models import OPERATOR
from grid_app.extensions import db
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LiveServer,
    cell_id,
    new_signed_in_page,
    save_as,
    sign_in,
)

AREA = "Safe spaces for staff"
OPEN_EVIDENCE = f"Open Evidence for {AREA}: history, discussion and gaps"
LONG_TEXT = "\n\n".join(
    f"Paragraph {n}: staff networks went through the referral figures with the service lead "
    "and agreed what the next quarter's actions should be."
    for n in range(1, 15)
)


def add_reader(server: LiveServer) -> str:
    """Someone who may read the grid and nothing more."""
    with server.app.app_context():
        from grid_app.auth.service import create_user

        create_user(OPERATOR, "reader@example.org", "Rae Reader", DEMO_PASSWORD, roles=[])
        db.session.commit()
    return "reader@example.org"


def expect_cell_page(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Evidence for {AREA}")
    expect(page.get_by_role("link", name="History of this cell")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Discussion"))).to_be_visible()


@pytest.mark.parametrize("role", ["contributor", "manager", "reader"])
def test_every_cell_opens_its_own_page_by_mouse_and_by_keyboard(page: Page, live_server, role):
    email = add_reader(live_server) if role == "reader" else f"{role}@example.org"
    sign_in(page, live_server, email)
    page.get_by_role("link", name=OPEN_EVIDENCE).click()
    expect_cell_page(page)

    page.go_back()
    link = page.get_by_role("link", name=OPEN_EVIDENCE)
    link.focus()
    page.keyboard.press("Enter")
    expect_cell_page(page)


def test_a_cells_page_is_reached_from_the_grid_without_javascript(browser: Browser, live_server):
    page = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    page.get_by_role("link", name=OPEN_EVIDENCE).click()
    expect_cell_page(page)
    page.context.close()


def cell_height(page: Page, server: LiveServer) -> float:
    box = page.locator(f"#cell-{cell_id(server, AREA, 'Evidence')}").bounding_box()
    assert box is not None
    return float(box["height"])


def test_a_long_cell_shows_its_first_lines_and_opens_with_show_all(page: Page, live_server):
    save_as(live_server, "manager@example.org", cell_id(live_server, AREA, "Evidence"), LONG_TEXT)
    sign_in(page, live_server)
    row = page.locator("tbody tr", has=page.locator("th", has_text=AREA))
    row_box = row.bounding_box()
    assert row_box is not None and row_box["height"] < 450, row_box
    closed = cell_height(page, live_server)

    toggle = page.locator("details.app-cell__more > summary")
    expect(toggle).to_have_text(f"Show all of Evidence for {AREA}", use_inner_text=True)
    toggle.click()
    expect(page.locator("details.app-cell__more")).to_have_attribute("open", "")
    expect(toggle).to_have_text(f"Show less of Evidence for {AREA}", use_inner_text=True)
    assert cell_height(page, live_server) > closed + 300
    # Opening the text is not a click to edit it.
    expect(page.locator(".app-cell--editing")).to_have_count(0)

    # By keyboard, the same control closes it again.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.app-cell__more")).not_to_have_attribute("open", "")


def test_a_whole_row_opens_at_once_with_and_without_javascript(
    browser: Browser, page: Page, live_server
):
    for column in ("Strategy", "Evidence"):
        save_as(live_server, "manager@example.org", cell_id(live_server, AREA, column), LONG_TEXT)
    sign_in(page, live_server)
    url = page.url
    page.get_by_role("link", name=f"Show all in {AREA}").click()
    opened = page.locator("details.app-cell__more[open]")
    expect(opened).to_have_count(2)
    expect(page).to_have_url(url)
    page.get_by_role("link", name=f"Show less in {AREA}").click()
    expect(opened).to_have_count(0)

    plain = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    plain.get_by_role("link", name=f"Show all in {AREA}").click()
    expect(plain).to_have_url(re.compile(r"\?open=\d+#area-\d+$"))
    expect(plain.locator("details.app-cell__more[open]")).to_have_count(2)
    plain.context.close()


def test_the_grids_header_row_and_service_areas_stay_in_view_as_its_table_scrolls(
    page: Page, live_server
):
    page.set_viewport_size({"width": 375, "height": 700})
    sign_in(page, live_server)
    scroller = page.get_by_role("region", name=re.compile("service areas against"))
    scroller.evaluate("box => box.scrollTo(box.scrollWidth, 400)")
    box = scroller.bounding_box()
    corner = page.get_by_role("columnheader", name="Service area").bounding_box()
    area = page.get_by_role("rowheader", name=re.compile("Youth Justice")).bounding_box()
    assert box and corner and area
    assert abs(corner["y"] - box["y"]) < 2 and abs(corner["x"] - box["x"]) < 2
    assert abs(area["x"] - box["x"]) < 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_history_text_is_readable_on_a_small_phone(page: Page, live_server):
    cell = cell_id(live_server, AREA, "Strategy")
    save_as(
        live_server, "manager@example.org", cell, "Sessions run monthly, led by staff networks."
    )
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/cells/{cell}")
    page.get_by_role("link", name="History of this cell").click()
    text = page.locator(".app-history__text").first.bounding_box()
    assert text is not None and text["width"] > 150, text
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def target_boxes(page: Page, names: list[str]) -> list[dict[str, float]]:
    boxes = []
    for name in names:
        box = page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name))
        found = box.bounding_box()
        assert found is not None, name
        boxes.append(found)
    return boxes


@pytest.mark.parametrize("width", [1280, 320])
def test_a_managers_controls_on_a_cell_are_big_enough_to_hit(page: Page, live_server, width):
    """WCAG 2.2 target size: at least 24 by 24 px, on the grid and on the cell's page."""
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "manager@example.org")
    strategy = f"Strategy for {AREA}"
    grid_controls = [f"Edit {strategy}", f"Open {strategy}: history, discussion and gaps"]
    for box in target_boxes(page, grid_controls):
        assert box["height"] >= 24 and box["width"] >= 24, box
    page.get_by_role("link", name=grid_controls[1]).click()
    edit, review = target_boxes(page, [f"Edit {strategy}", f"Mark reviewed {strategy}"])
    assert edit["height"] >= 24 and edit["width"] >= 24, edit
    assert review["y"] >= edit["y"] + edit["height"], (edit, review)
