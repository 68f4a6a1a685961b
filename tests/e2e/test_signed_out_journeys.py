"""What someone typed survives their sign-in ending or the network dropping, in a browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from grid_app.discussion.models import Comment
from grid_app.extensions import db
from grid_app.gaps.models import GapFlag
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_grid_journeys import end_every_session, sign_in_again_in_a_new_tab

CELL = 2
COMMENT = "Typed into the comment box as the sign-in ended."
GAP = "Typed into the gap flag as the sign-in ended."


def expect_signed_out_notice(page: Page) -> None:
    notice = page.get_by_role("status").filter(has_text="You have been signed out")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("What you typed is still here.")


def saved(server: LiveServer, model: type, **where: str) -> int:
    with server.app.app_context():
        return len(db.session.scalars(db.select(model).filter_by(**where)).all())


def test_a_comment_typed_as_the_sign_in_ended_is_kept_and_saved_later(page: Page, live_server):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/cells/{CELL}/comments")
    box = page.get_by_label("Start a thread")
    box.fill(COMMENT)
    end_every_session(live_server)
    page.get_by_role("button", name="Add comment").click()
    expect_signed_out_notice(page)
    expect(box).to_have_value(COMMENT)

    sign_in_again_in_a_new_tab(page)
    page.get_by_role("button", name="Add comment").click()
    expect(
        page.get_by_role("status").filter(has_text="Your comment has been added.")
    ).to_be_visible()
    assert saved(live_server, Comment, body=COMMENT) == 1


def test_a_gap_flag_typed_as_the_sign_in_ended_is_kept_and_saved_later(page: Page, live_server):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/cells/{CELL}/flags")
    box = page.get_by_label("What is missing?")
    box.fill(GAP)
    page.get_by_role("radio", name="High").check()
    end_every_session(live_server)
    page.get_by_role("button", name="Flag this gap").click()
    expect_signed_out_notice(page)
    expect(box).to_have_value(GAP)

    sign_in_again_in_a_new_tab(page)
    page.get_by_role("button", name="Flag this gap").click()
    expect(page.get_by_role("status").filter(has_text="Gap flagged.")).to_be_visible()
    assert saved(live_server, GapFlag, what_is_missing=GAP) == 1


def test_a_cell_typed_while_the_network_is_down_is_kept_and_saved_later(page: Page, live_server):
    sign_in(page, live_server)
    area = "Safe spaces for staff"
    page.get_by_role("link", name=f"Add Evidence for {area}").click()
    box = page.get_by_role("textbox", name=f"Evidence for {area}")
    box.fill("Typed on a train")
    page.context.set_offline(True)
    page.get_by_role("button", name=f"Save Evidence for {area}").click()
    expect(page.get_by_role("status").filter(has_text="Could not reach the server")).to_be_visible()
    expect(box).to_have_value("Typed on a train")
    page.context.set_offline(False)
    page.get_by_role("button", name=f"Save Evidence for {area}").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
