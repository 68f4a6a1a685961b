"""Journeys through the grid in a real browser, found by role and accessible name."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from grid_app.auth.models import OPERATOR, UserSession
from grid_app.extensions import db
from grid_app.grid.models import CellRevision
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LiveServer,
    cell_id,
    new_signed_in_page,
    save_as,
    sign_in,
)

AREA = "Early Help, Early Years and Youth Work"
EVIDENCE = f"Evidence for {AREA}"


def revision_texts(server: LiveServer, cell: int) -> list[str]:
    with server.app.app_context():
        return list(
            db.session.scalars(
                db.select(CellRevision.text)
                .where(CellRevision.cell_id == cell)
                .order_by(CellRevision.number)
            )
        )


def test_edit_a_cell_in_place_save_and_reload(page: Page, live_server, console_errors):
    sign_in(page, live_server)
    expect(page.get_by_role("heading", name="Grid for Supporting People")).to_be_visible()
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    box = page.get_by_role("textbox", name=EVIDENCE)
    expect(box).to_be_focused()
    box.fill("New youth work curriculum piloted in **two** hubs.")
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    cell = page.locator(f"#cell-{cell_id(live_server, AREA, 'Evidence')}")
    expect(cell.get_by_text("Saved", exact=True)).to_be_visible()
    expect(cell.locator("strong")).to_have_text("two")
    page.reload()
    expect(cell).to_contain_text("New youth work curriculum piloted in two hubs.")
    expect(cell).to_contain_text("by Chris Contributor")
    assert console_errors == []


def test_escape_cancels_an_edit_and_keeps_the_cell_as_it_was(page: Page, live_server):
    sign_in(page, live_server)
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    box = page.get_by_role("textbox", name=EVIDENCE)
    box.fill("Not meant to be saved")
    box.press("Escape")
    expect(page.get_by_role("textbox", name=EVIDENCE)).to_have_count(0)
    expect(page.get_by_role("link", name=f"Add {EVIDENCE}")).to_be_focused()
    assert revision_texts(live_server, cell_id(live_server, AREA, "Evidence")) == []


def test_clicking_anywhere_in_a_cell_opens_its_editor(page: Page, live_server):
    sign_in(page, live_server)
    cell = page.locator(f"#cell-{cell_id(live_server, 'Corporate & HR', 'Strategy')}")
    cell.locator(".app-cell__text").click()
    expect(page.get_by_role("textbox", name="Strategy for Corporate & HR")).to_be_focused()


def test_the_whole_edit_journey_by_keyboard(page: Page, live_server):
    sign_in(page, live_server)
    link = page.get_by_role("link", name=f"Add {EVIDENCE}")
    # Tab through the page from the top until the cell's link has focus.
    page.locator("body").focus()
    for _ in range(200):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name=EVIDENCE)
    expect(box).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Control+Enter")
    edit = page.get_by_role("link", name=f"Edit {EVIDENCE}")
    expect(edit).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name=EVIDENCE)
    expect(box).to_be_focused()
    expect(box).to_have_value("Typed without a mouse.")
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name=f"Edit {EVIDENCE}")).to_be_focused()
    assert revision_texts(live_server, cell_id(live_server, AREA, "Evidence")) == [
        "Typed without a mouse."
    ]


def test_two_people_edit_one_cell_and_the_second_merges(page: Page, browser: Browser, live_server):
    sign_in(page, live_server, "contributor@example.org")
    other = new_signed_in_page(browser, live_server, "manager@example.org")
    for p in (page, other):
        p.get_by_role("link", name=f"Add {EVIDENCE}").click()
    page.get_by_role("textbox", name=EVIDENCE).fill("Curriculum piloted in two hubs.")
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()

    other.get_by_role("textbox", name=EVIDENCE).fill("Youth workers trained.")
    other.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(other.get_by_role("heading", name="Someone else changed this cell")).to_be_visible()
    expect(other.get_by_role("alert")).to_be_focused()
    conflict = other.locator(".app-cell--conflict")
    expect(conflict).to_contain_text("Curriculum piloted in two hubs.")
    mine = other.get_by_role("textbox", name=EVIDENCE)
    expect(mine).to_have_value("Youth workers trained.")
    expect(conflict.locator(".app-diff ins")).to_contain_text("Youth workers trained.")

    mine.fill("Curriculum piloted in two hubs. Youth workers trained.")
    other.get_by_role("button", name="Save merged text").click()
    expect(other.get_by_text("Saved", exact=True)).to_be_visible()
    assert revision_texts(live_server, cell_id(live_server, AREA, "Evidence")) == [
        "Curriculum piloted in two hubs.",
        "Curriculum piloted in two hubs. Youth workers trained.",
    ]
    other.context.close()


def test_the_edit_journey_without_javascript(browser: Browser, live_server):
    page = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    expect(page).to_have_url(re.compile(r"/cells/\d+/edit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit evidence for {AREA}")
    page.get_by_role("textbox", name=EVIDENCE).fill("Saved with scripts off.")
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page).to_have_url(re.compile(r"/grids/grid-for-supporting-people#cell-\d+$"))
    expect(page.get_by_text("Saved with scripts off.")).to_be_visible()

    # A stale save without JavaScript gets the full conflict page, text kept.
    cell = cell_id(live_server, AREA, "Evidence")
    page.goto(f"{live_server.url}/cells/{cell}/edit")
    save_as(live_server, "manager@example.org", cell, "Changed by someone else.")
    page.get_by_role("textbox", name=EVIDENCE).fill("My version.")
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merge your changes")
    expect(page.get_by_role("textbox", name=EVIDENCE)).to_have_value("My version.")
    page.context.close()


def end_every_session(server: LiveServer) -> None:
    """End every sign-in on the server, as the idle timeout would."""
    with server.app.app_context():
        db.session.execute(db.delete(UserSession))
        db.session.commit()


def sign_in_again_in_a_new_tab(page: Page) -> None:
    """Follow the notice's link to a new tab, sign in there, and come back."""
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Sign in again in a new tab").click()
    tab = opened.value
    tab.get_by_label("Email address").fill("contributor@example.org")
    tab.get_by_label("Password").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).not_to_have_text("Sign in")
    tab.close()
    page.bring_to_front()


def test_an_ended_sign_in_keeps_the_open_editor_and_saves_after_signing_in_again(
    page: Page, live_server
):
    sign_in(page, live_server)
    grid_url = page.url
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    box = page.get_by_role("textbox", name=EVIDENCE)
    box.fill("Typed as the session ended")
    end_every_session(live_server)
    # The grid's live poll (every 5 s) finds the sign-in gone: the page stays and says so.
    notice = page.get_by_role("status").filter(has_text="You have been signed out")
    expect(notice).to_be_visible(timeout=12_000)
    expect(page).to_have_url(grid_url)
    expect(box).to_have_value("Typed as the session ended")
    # Saving now is refused, and still nothing is lost.
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(box).to_have_value("Typed as the session ended")
    expect(page).to_have_url(grid_url)

    sign_in_again_in_a_new_tab(page)
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    cell = page.locator(f"#cell-{cell_id(live_server, AREA, 'Evidence')}")
    expect(cell.get_by_text("Saved", exact=True)).to_be_visible()
    assert revision_texts(live_server, cell_id(live_server, AREA, "Evidence")) == [
        "Typed as the session ended"
    ]


def test_an_ended_sign_in_with_nothing_typed_goes_to_sign_in_and_back(page: Page, live_server):
    sign_in(page, live_server)
    grid_url = page.url
    end_every_session(live_server)
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Email address").fill("contributor@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(grid_url)


def test_sign_out_returns_to_sign_in_and_the_grid_is_closed(page: Page, live_server):
    sign_in(page, live_server)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_a_reader_without_a_role_is_not_offered_editing(page: Page, live_server):
    with live_server.app.app_context():
        from grid_app.auth.service import create_user

        create_user(OPERATOR, "reader@example.org", "Rae Reader", DEMO_PASSWORD, roles=[])
        db.session.commit()
    sign_in(page, live_server, "reader@example.org")
    expect(page.get_by_text("You can read the grid.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^(Add|Edit) "))).to_have_count(0)
