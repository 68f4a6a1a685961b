"""Discussion in a real browser: comment, reply, edit with history, delete, resolve."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from grid_app.extensions import db
from tests.e2e.conftest import LiveServer, new_signed_in_page, sign_in

# Cell 2 of the demo grid is the empty evidence cell of "Safe spaces for staff".
CELL = 2
BADGE = "1 open thread in Evidence for Safe spaces for staff"
FIRST = "Where are the **usage figures** kept?"
SECOND = "Who keeps the usage figures, and how often?"


def start_thread(page: Page, server: LiveServer, body: str = FIRST) -> None:
    """As the signed-in person, start a thread on cell 2 from its page."""
    page.goto(f"{server.url}/cells/{CELL}")
    page.get_by_role("link", name=re.compile(r"^Discussion of this cell")).click()
    page.get_by_label("Start a thread").fill(body)
    page.get_by_role("button", name="Add comment").click()
    expect(
        page.get_by_role("status").filter(has_text="Your comment has been added.")
    ).to_be_visible()


def comment_as(server: LiveServer, email: str, body: str = FIRST) -> int:
    """Someone starts a thread on cell 2 through the service, without a browser."""
    from grid_app.auth.models import User
    from grid_app.discussion import service
    from grid_app.grid.models import Cell

    with server.app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == email))
        comment = service.add_comment(actor, db.session.get_one(Cell, CELL), body=body)
        db.session.commit()
        return comment.id


def test_a_thread_is_discussed_edited_deleted_and_resolved(
    page: Page, browser: Browser, live_server, console_errors
):
    sign_in(page, live_server)
    start_thread(page, live_server)
    expect(page.locator(".app-comment__text strong")).to_have_text("usage figures")
    page.goto(live_server.url)
    expect(page.get_by_role("link", name=BADGE)).to_be_visible()

    tom = new_signed_in_page(browser, live_server, "tom.hughes@example.org")
    tom.get_by_role("link", name=BADGE).click()
    tom.get_by_label("Reply to Chris Contributor").fill("In the staff survey, each quarter.")
    tom.get_by_role("button", name="Reply to Chris Contributor").click()
    expect(tom.get_by_text("Your reply has been added.")).to_be_visible()
    expect(tom.locator(".app-reply")).to_contain_text("In the staff survey, each quarter.")
    expect(tom.get_by_role("link", name="Edit your comment")).to_have_count(1)

    page.goto(f"{live_server.url}/cells/{CELL}/comments")
    expect(page.locator(".app-reply")).to_contain_text("In the staff survey")
    page.get_by_role("link", name="Edit your comment").click()
    page.get_by_label("Comment").fill(SECOND)
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_text("Your comment has been changed.")).to_be_visible()
    expect(page.get_by_text(SECOND)).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^edited")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Earlier wording of a comment")
    expect(page.locator(".app-comment-edit strong")).to_have_text("usage figures")
    page.get_by_role("link", name="Back to the discussion").click()

    page.get_by_role("button", name="Delete your comment").click()
    expect(page.get_by_role("status")).to_have_text("Your comment has been deleted.")
    thread = page.locator(".app-thread")
    expect(thread.locator(".app-comment__deleted")).to_have_text("Comment deleted")
    expect(thread.locator(".app-reply")).to_contain_text("In the staff survey, each quarter.")
    expect(page.get_by_text(SECOND)).to_have_count(0)

    manager = new_signed_in_page(browser, live_server, "manager@example.org")
    manager.get_by_role("link", name=BADGE).click()
    manager.get_by_role("button", name=re.compile(r"^Resolve thread")).click()
    expect(manager.get_by_text("The thread has been resolved.")).to_be_visible()
    expect(manager.locator(".app-thread")).to_contain_text("Resolved by Morgan Manager")

    page.goto(live_server.url)
    expect(page.get_by_role("link", name=BADGE)).to_have_count(0)
    page.goto(f"{live_server.url}/cells/{CELL}")
    expect(
        page.get_by_role("link", name="Discussion of this cell (no open threads)")
    ).to_be_visible()
    assert console_errors == []


def test_commenting_and_replying_work_without_javascript(browser: Browser, live_server):
    contributor = new_signed_in_page(
        browser, live_server, "contributor@example.org", java_script_enabled=False
    )
    contributor.goto(f"{live_server.url}/cells/{CELL}/comments")
    contributor.get_by_role("button", name="Add comment").click()
    expect(contributor.get_by_text("Write a comment.").first).to_be_visible()
    contributor.get_by_label("Start a thread").fill(FIRST)
    contributor.get_by_role("button", name="Add comment").click()
    expect(contributor.get_by_text("Your comment has been added.")).to_be_visible()
    contributor.get_by_label("Reply to Chris Contributor").fill("Answering myself.")
    contributor.get_by_role("button", name="Reply to Chris Contributor").click()
    expect(contributor.get_by_text("Your reply has been added.")).to_be_visible()
    contributor.get_by_role("button", name=re.compile(r"^Resolve thread")).click()
    expect(contributor.get_by_text("The thread has been resolved.")).to_be_visible()
    from grid_app.discussion.models import Comment

    with live_server.app.app_context():
        comments = list(
            db.session.scalars(
                db.select(Comment).where(Comment.cell_id == CELL).order_by(Comment.id)
            )
        )
    assert [c.parent_id for c in comments] == [None, comments[0].id]
    assert comments[0].resolved_at is not None


# --- Pages for the accessibility scan (tests/e2e/test_accessibility.py) ------------------


def open_discussion(page: Page, server: LiveServer) -> None:
    thread = comment_as(server, "tom.hughes@example.org")
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/comments#comment-{thread}")
    page.get_by_label("Reply to Tom Hughes").fill("A reply.")
    page.get_by_role("button", name="Reply to Tom Hughes").click()
    expect(page.get_by_text("Your reply has been added.")).to_be_visible()


def open_discussion_with_error(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/comments")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Write a comment.").first).to_be_visible()


def open_comment_edit(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    start_thread(page, server)
    page.get_by_role("link", name="Edit your comment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your comment")


def open_comment_edit_conflict(page: Page, server: LiveServer) -> None:
    from grid_app.auth.models import User
    from grid_app.discussion import service
    from grid_app.discussion.models import Comment

    thread = comment_as(server, "contributor@example.org")
    sign_in(page, server)
    page.goto(f"{server.url}/comments/{thread}/edit")
    # The same person saves the comment from another tab meanwhile.
    with server.app.app_context():
        author = db.session.scalar(db.select(User).where(User.email == "contributor@example.org"))
        comment = db.session.get_one(Comment, thread)
        service.edit(author, comment, body="Saved in another tab.", expected_version=1)
        db.session.commit()
    page.get_by_label("Comment").fill("My own words.")
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_role("heading", name="This comment changed while you")).to_be_visible()


def open_comment_history(page: Page, server: LiveServer) -> None:
    open_comment_edit(page, server)
    page.get_by_label("Comment").fill(SECOND)
    page.get_by_role("button", name="Save comment").click()
    page.get_by_role("link", name=re.compile(r"^edited")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Earlier wording of a comment")


def test_the_activity_feed_shows_a_comment_as_read_with_mentions_as_names(
    page: Page, live_server, console_errors
):
    comment_as(live_server, "manager@example.org", "@contributor@example.org see **this** first")
    sign_in(page, live_server)
    page.get_by_role("link", name="Activity", exact=True).click()
    entry = page.locator(".app-feed__entry").filter(has_text="commented on").first
    expect(entry).to_contain_text("“@Chris Contributor see this first”")
    expect(entry).not_to_contain_text("**")
    expect(entry).not_to_contain_text("@contributor@example.org")
    assert console_errors == []
