"""Gap flags in a real browser: a contributor flags a gap, a manager triages and resolves it."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect

from grid_app.extensions import db
from grid_app.gaps.models import GapFlag, GapFlagEvent
from tests.e2e.conftest import LiveServer, new_signed_in_page, sign_in

# Cell 2 of the demo grid is the empty evidence cell of "Safe spaces for staff".
CELL = 2
WHAT = "No record of how many staff use the safe spaces, by ethnicity."


def raise_gap(page: Page, server: LiveServer, what: str = WHAT) -> None:
    """As the signed-in contributor, flag a gap in cell 2 from its page."""
    page.goto(f"{server.url}/cells/{CELL}")
    page.get_by_role("link", name="Gap flags on this cell (no open gap flags)").click()
    page.get_by_label("What is missing?").fill(what)
    page.get_by_role("radio", name="High").check()
    page.get_by_role("button", name="Flag this gap").click()
    expect(page.get_by_role("status").filter(has_text="Gap flagged.")).to_be_visible()


def flag_as(server: LiveServer, email: str, what: str = WHAT) -> int:
    """Someone flags a gap in cell 2 through the service, without a browser."""
    from grid_app.auth.models import User
    from grid_app.gaps import service
    from grid_app.grid.models import Cell

    with server.app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == email))
        cell = db.session.get_one(Cell, CELL)
        flag = service.raise_flag(actor, cell, what_is_missing=what, severity="high")
        db.session.commit()
        return flag.id


def timeline_kinds(server: LiveServer, what: str = WHAT) -> list[str]:
    """The steps of the flag this journey raised (the demo data has flags of its own)."""
    with server.app.app_context():
        return list(
            db.session.scalars(
                db.select(GapFlagEvent.kind)
                .join(GapFlag)
                .where(GapFlag.what_is_missing == what)
                .order_by(GapFlagEvent.id)
            )
        )


def test_contributor_flags_a_gap_and_a_manager_triages_and_resolves_it(
    page: Page, browser: Browser, live_server, console_errors
):
    sign_in(page, live_server)
    raise_gap(page, live_server)
    expect(page.get_by_role("link", name=WHAT)).to_be_visible()
    page.goto(live_server.url)
    badge = page.get_by_role("link", name="1 open gap flag (1 high) in Evidence for Safe spaces")
    expect(badge).to_be_visible()

    manager = new_signed_in_page(browser, live_server, "manager@example.org")
    manager.get_by_role("link", name="1 open gap flag (1 high) in Evidence for Safe spaces").click()
    manager.get_by_role("link", name=WHAT).click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(
        "Gap in evidence for Safe spaces for staff"
    )

    # One form: the next step among those open to the flag, what it needs, one button.
    triage = manager.get_by_role("form", name="Triage this gap")
    expect(triage.get_by_role("radio")).to_have_count(5)
    expect(triage.get_by_role("radio", name="Reopen")).to_have_count(0)
    expect(triage.get_by_role("button")).to_have_count(1)
    manager.get_by_role("radio", name="Acknowledge").check()
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("Done: the gap flag is now acknowledged.")).to_be_visible()

    due = (date.today() + timedelta(days=30)).isoformat()
    manager.get_by_role("radio", name="Assign").check()
    manager.get_by_label("Owner (when assigning)").select_option(label="Tom Hughes")
    manager.get_by_label("Due date (optional, when assigning)").fill(due)
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("assigned it to Tom Hughes, due")).to_be_visible()

    manager.get_by_role("radio", name="Resolve").check()
    manager.get_by_label("Note").fill("Quarterly usage figures now kept.")
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("Done: the gap flag is now resolved.")).to_be_visible()

    steps = manager.locator(".app-timeline__step")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_contain_text("Chris Contributor flagged this gap")
    expect(steps.nth(1)).to_contain_text("Morgan Manager acknowledged it")
    expect(steps.nth(2)).to_contain_text("Morgan Manager assigned it to Tom Hughes")
    expect(steps.nth(3)).to_contain_text("Morgan Manager resolved it")
    expect(steps.nth(3)).to_contain_text("Quarterly usage figures now kept.")
    expect(manager.get_by_role("radio", name="Reopen")).to_be_checked()
    assert timeline_kinds(live_server) == ["raised", "acknowledged", "assigned", "resolved"]

    page.reload()
    expect(badge).to_have_count(0)
    assert console_errors == []


def test_the_same_journey_works_without_javascript(browser: Browser, live_server):
    contributor = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    contributor.goto(f"{live_server.url}/cells/{CELL}/flags")
    contributor.get_by_role("button", name="Flag this gap").click()
    expect(contributor.get_by_text("Describe what is missing.").first).to_be_visible()
    contributor.get_by_label("What is missing?").fill(WHAT)
    contributor.get_by_role("radio", name="Medium").check()
    contributor.get_by_role("button", name="Flag this gap").click()
    expect(contributor.get_by_text("The gap has been flagged.")).to_be_visible()

    manager = new_signed_in_page(
        browser, live_server, "manager@example.org", java_script_enabled=False
    )
    with live_server.app.app_context():
        flag_id = db.session.scalar(db.select(GapFlag.id).where(GapFlag.what_is_missing == WHAT))
    manager.goto(f"{live_server.url}/flags/{flag_id}")
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("Choose the next step for this gap.").first).to_be_visible()
    manager.get_by_role("radio", name="Close as won’t fix").check()
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("Give the reason this gap will not be fixed.").first).to_be_visible()
    expect(manager.get_by_role("radio", name="Close as won’t fix")).to_be_checked()
    manager.get_by_label("Note").fill("Covered by the corporate survey.")
    manager.get_by_role("button", name="Save this step").click()
    expect(manager.get_by_text("The gap flag is now won’t fix.")).to_be_visible()
    assert timeline_kinds(live_server) == ["raised", "wont_fix"]


# --- Pages for the accessibility scan (tests/e2e/test_accessibility.py) ------------------


def open_cell_flags(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    raise_gap(page, server)


def open_cell_flags_with_error(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/flags")
    page.get_by_role("button", name="Flag this gap").click()
    expect(page.get_by_text("Describe what is missing.").first).to_be_visible()


def open_flag(page: Page, server: LiveServer) -> None:
    flag_as(server, "contributor@example.org")
    sign_in(page, server, "manager@example.org")
    page.goto(f"{server.url}/cells/{CELL}/flags")
    page.get_by_role("link", name=WHAT).click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()


def open_flag_as_raiser(page: Page, server: LiveServer) -> None:
    """The flag's page as the contributor who raised it (no triage controls)."""
    flag_as(server, "contributor@example.org")
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/flags")
    page.get_by_role("link", name=WHAT).click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()


def open_flag_with_error(page: Page, server: LiveServer) -> None:
    open_flag(page, server)
    page.get_by_role("radio", name="Resolve").check()
    page.get_by_role("button", name="Save this step").click()
    expect(page.get_by_text("Say how the gap was resolved.").first).to_be_visible()


def open_grid_flags(page: Page, server: LiveServer) -> None:
    flag_as(server, "contributor@example.org")
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/flags")
    page.get_by_role("link", name="all gap flags in Grid for Supporting People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gap flags")
