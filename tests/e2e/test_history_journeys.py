"""Journeys through a cell's history, the grid's past, the activity feed, the structure page
and live updates, in a real browser, found by role and accessible name."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Locator, Page, expect

from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.grid.models import CellRevision
from tests.e2e.conftest import LiveServer, cell_id, new_signed_in_page, save_as, sign_in

AREA = "Early Help, Early Years and Youth Work"
EVIDENCE = f"Evidence for {AREA}"
# The live poll runs every 5 s; allow three rounds before giving up.
LIVE = 15_000


def revisions(server: LiveServer, cell: int) -> list[tuple[str, str]]:
    """The cell's revisions, oldest first, as (kind, text)."""
    with server.app.app_context():
        return [
            (kind, text)
            for kind, text in db.session.execute(
                db.select(CellRevision.kind, CellRevision.text)
                .where(CellRevision.cell_id == cell)
                .order_by(CellRevision.number)
            )
        ]


def edit_in_place(page: Page, name: str, text: str) -> None:
    """Open a cell's editor on the grid, type, save, and wait for the saved cell."""
    page.get_by_role("link", name=re.compile(rf"^(Add|Edit) {re.escape(name)}$")).click()
    page.get_by_role("textbox", name=name).fill(text)
    page.get_by_role("button", name=f"Save {name}").click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^Saved$"))).to_be_visible()
    expect(page.get_by_role("textbox", name=name)).to_have_count(0)


def grid_cell(page: Page, area: str, column_index: int) -> Locator:
    """The data cell of a service area's row; column 0 is the first after the row header."""
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=area, exact=True))
    return row.get_by_role("cell").nth(column_index)


def test_compare_two_revisions_of_a_cell_and_restore_the_older(
    page: Page, live_server, console_errors
):
    sign_in(page, live_server)
    cell = cell_id(live_server, AREA, "Evidence")
    edit_in_place(page, EVIDENCE, "Curriculum piloted in two hubs this year.")
    edit_in_place(page, EVIDENCE, "Curriculum piloted in three hubs this year.")

    page.goto(f"{live_server.url}/cells/{cell}")
    page.get_by_role("link", name="History of this cell").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History of evidence for {AREA}")
    # Newest first, and the two newest are chosen for comparing.
    expect(page.get_by_label("Compare to revision 2")).to_be_checked()
    expect(page.get_by_label("Compare from revision 1")).to_be_checked()
    # Each choice says which it is where it is, not only in the column's header.
    newest_row = page.get_by_role("table").get_by_role("row").nth(1)
    expect(newest_row.locator("label").filter(has_text="From")).to_be_visible()
    expect(newest_row.locator("label").filter(has_text="To")).to_be_visible()
    page.get_by_role("button", name="Compare the chosen revisions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revision 1 compared with revision 2")
    # The key above the difference shows one of each; then the words that changed.
    expect(page.get_by_role("deletion")).to_have_text(["struck through", "[removed: two ]"])
    expect(page.get_by_role("insertion")).to_have_text(["underlined", "[added: three ]"])
    # Revision 2 is what the cell holds: restoring it would change nothing, so it is not offered.
    expect(page.get_by_text("Revision 2 is what the cell holds now.")).to_be_visible()
    expect(page.get_by_role("button", name="Restore revision 2")).to_have_count(0)

    page.get_by_role("button", name="Restore revision 1").click()
    expect(page.get_by_role("alert")).to_contain_text("Restored revision 1 as revision 3.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History of evidence for {AREA}")
    newest = page.get_by_role("table").get_by_role("row").nth(1)
    expect(newest).to_contain_text("Revision 3")
    expect(newest).to_contain_text("restore")
    expect(newest).to_contain_text("Curriculum piloted in two hubs this year.")
    expect(page.get_by_label("Compare to revision 3")).to_be_checked()
    assert revisions(live_server, cell) == [
        ("edit", "Curriculum piloted in two hubs this year."),
        ("edit", "Curriculum piloted in three hubs this year."),
        ("restore", "Curriculum piloted in two hubs this year."),
    ]
    assert console_errors == []


def test_a_change_by_someone_else_appears_on_the_grid_without_reloading(
    page: Page, browser: Browser, live_server, console_errors
):
    sign_in(page, live_server, "contributor@example.org")
    cell = grid_cell(page, AREA, 1)
    expect(cell).to_contain_text("Empty")
    page.evaluate("window.stillTheSamePage = true")

    manager = new_signed_in_page(browser, live_server, "manager@example.org")
    edit_in_place(manager, EVIDENCE, "Youth workers trained in every hub.")

    expect(cell).to_contain_text("Youth workers trained in every hub.", timeout=LIVE)
    expect(cell).to_contain_text("Changed by Morgan Manager just now")
    announced = page.get_by_role("status").filter(has_text="was changed by Morgan Manager")
    expect(announced).to_have_text(f"{EVIDENCE} was changed by Morgan Manager.")
    assert page.evaluate("window.stillTheSamePage") is True
    assert console_errors == []
    manager.context.close()


def test_an_open_editor_is_kept_and_told_when_someone_else_saves_the_cell(page: Page, live_server):
    sign_in(page, live_server, "contributor@example.org")
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    box = page.get_by_role("textbox", name=EVIDENCE)
    box.fill("My notes on the new curriculum.")

    cell = cell_id(live_server, AREA, "Evidence")
    save_as(live_server, "manager@example.org", cell, "Hubs open.")

    expect(
        page.get_by_role("status").filter(has_text="Morgan Manager changed this cell just now")
    ).to_have_text(
        "Morgan Manager changed this cell just now. "
        "When you save, you will see their version and can merge.",
        timeout=LIVE,
    )
    expect(box).to_have_value("My notes on the new curriculum.")
    expect(box).to_be_focused()

    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page.get_by_role("heading", name="Someone else changed this cell")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Morgan Manager saved it")
    expect(page.get_by_role("deletion").filter(has_text="Hubs open.")).to_have_count(1)
    expect(page.get_by_role("insertion").filter(has_text="My notes")).to_have_count(1)
    expect(page.get_by_role("textbox", name=EVIDENCE)).to_have_value(
        "My notes on the new curriculum."
    )


def test_restoring_from_a_stale_compare_page_shows_the_conflict_page(page: Page, live_server):
    sign_in(page, live_server)
    cell = cell_id(live_server, AREA, "Evidence")
    edit_in_place(page, EVIDENCE, "Curriculum piloted in two hubs this year.")
    edit_in_place(page, EVIDENCE, "Curriculum piloted in three hubs this year.")
    page.goto(f"{live_server.url}/cells/{cell}/history")
    page.get_by_role("button", name="Compare the chosen revisions").click()
    expect(page.get_by_role("button", name="Restore revision 1")).to_be_visible()

    save_as(live_server, "manager@example.org", cell, "Curriculum in four hubs.")
    with page.expect_response(re.compile(r"/revisions/\d+/restore$")) as answer:
        page.get_by_role("button", name="Restore revision 1").click()
    assert answer.value.status == 409
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Merge your changes to evidence for {AREA}"
    )
    expect(page.get_by_role("heading", name="Someone else changed this cell")).to_be_visible()
    expect(page.get_by_role("textbox", name=EVIDENCE)).to_have_value(
        "Curriculum piloted in two hubs this year."
    )
    assert [text for _, text in revisions(live_server, cell)][-1] == "Curriculum in four hubs."


def test_see_the_grid_as_it_stood_on_a_past_date(page: Page, live_server):
    area = "Safe spaces for staff"
    old = "Regular facilitated sessions where black staff can talk"
    sign_in(page, live_server)
    edit_in_place(page, f"Strategy for {area}", "Monthly sessions, led by staff networks.")

    page.get_by_role("link", name="See the grid as it stood on a past date").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("as it stood on")
    strategy = grid_cell(page, area, 0)
    expect(strategy).to_contain_text("Monthly sessions, led by staff networks.")

    # Back past today's edit and the demo's latest change.
    for _ in range(2):
        heading = page.get_by_role("heading", level=1).inner_text()
        page.get_by_role("link", name=re.compile(r"^Earlier change")).click()
        expect(page.get_by_role("heading", level=1)).not_to_have_text(heading)
    expect(page).to_have_url(re.compile(r"/as-of\?at=\d{4}-\d\d-\d\dT\d\d:\d\d"))
    expect(strategy).to_contain_text(old)
    expect(strategy).to_contain_text("Revision 1")
    expect(strategy).not_to_contain_text("Monthly sessions")

    # And forward again, one change on: still before today's edit.
    heading = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name=re.compile(r"^Later change")).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text(heading)
    expect(strategy).to_contain_text(old)

    field = page.get_by_label("Show the grid as it stood at (UK time)")
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    field.fill(future)
    page.get_by_role("button", name="Show").click()
    expect(field).to_have_accessible_description(
        "Error: That is in the future. Choose a time up to now."
    )
    expect(field).to_have_value(future)
    expect(page.get_by_role("table")).to_have_count(0)


def test_filter_the_activity_feed_by_person_and_by_dates(page: Page, live_server):
    sign_in(page, live_server)
    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    entries = page.get_by_role("main").get_by_role("listitem")
    expect(entries.filter(has_text="Chris Contributor").first).to_be_visible()

    page.get_by_label("Person").select_option(label="Morgan Manager")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]person=\d+"))
    expect(entries.first).to_contain_text("Morgan Manager")
    expect(entries.filter(has_not_text="Morgan Manager")).to_have_count(0)
    expect(page.get_by_label("Person")).to_have_value(re.compile(r"^\d+$"))

    # An edit's entry opens what that change did.
    entries.filter(has_text="Morgan Manager changed").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revision")
    page.go_back()

    page.get_by_label("From", exact=True).fill("2026-03-10")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("To", exact=True)).to_have_accessible_description(
        "Error: The end date must be on or after the start date."
    )
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-03-10")
    expect(entries).to_have_count(0)


def test_an_admin_renames_undoes_archives_and_restores_a_service_area(page: Page, live_server):
    sign_in(page, live_server, "admin@example.org")
    area = page.get_by_role("rowheader", name="Youth Justice", exact=True)
    renamed = page.get_by_role("rowheader", name="Youth Justice Services", exact=True)
    success = page.get_by_role("alert")

    page.get_by_role("link", name="Change service areas and columns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service areas and columns")
    page.get_by_role("textbox", name="Name of Youth Justice", exact=True).fill(
        "Youth Justice Services"
    )
    page.get_by_role("button", name="Rename Youth Justice", exact=True).click()
    expect(success).to_contain_text(
        "Renamed service area “Youth Justice” to “Youth Justice Services”."
    )
    page.get_by_role("link", name="Grid for Supporting People").click()
    expect(renamed).to_be_visible()
    expect(area).to_have_count(0)

    page.get_by_role("link", name="Activity", exact=True).click()
    undo = re.compile(
        r"^Undo this change, which renamed service area "
        r"“Youth Justice” to “Youth Justice Services”$"
    )
    page.get_by_role("button", name=undo).click()
    expect(success).to_contain_text("Undone: renamed service area “Youth Justice”")
    page.get_by_role("link", name="Grid for Supporting People").click()
    expect(area).to_be_visible()
    expect(renamed).to_have_count(0)

    page.get_by_role("link", name="Change service areas and columns").click()
    page.get_by_role("button", name="Archive Youth Justice", exact=True).click()
    expect(success).to_contain_text("Archived service area “Youth Justice”.")
    expect(page.get_by_role("button", name="Restore Youth Justice", exact=True)).to_be_visible()
    page.get_by_role("link", name="Grid for Supporting People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grid for Supporting People")
    expect(area).to_have_count(0)

    page.get_by_role("link", name="Change service areas and columns").click()
    page.get_by_role("button", name="Restore Youth Justice", exact=True).click()
    expect(success).to_contain_text("Restored service area “Youth Justice”.")
    page.get_by_role("link", name="Grid for Supporting People").click()
    expect(area).to_be_visible()
    expect(grid_cell(page, "Youth Justice", 2)).to_contain_text(
        "Local data on outcomes by ethnicity is not published"
    )
